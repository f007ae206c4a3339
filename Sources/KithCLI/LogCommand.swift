import ArgumentParser
import Foundation
import KithCore
import KithIngest
import KithLog

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Inspect the event log.", subcommands: [Stats.self, Read.self])

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Events, segments, bytes and counts by source and type.")
        @OptionGroup var data: DataOptions
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            let stats = try LogStatistics.gather(logDirectory: data.directory.log)
            if format == .json {
                try Out.json(stats)
            } else {
                Out.print(stats.rendered)
            }
        }
    }

    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print events as canonical NDJSON.")
        @OptionGroup var data: DataOptions
        @Option(help: "First position to print.") var from: UInt64 = 0
        @Option(help: "Print at most N events.") var limit: Int?

        func run() throws {
            let reader = try EventLogReader(directory: data.directory.log)
            let newline: [UInt8] = [0x0A]
            try reader.forEachLine(from: from, limit: limit) { _, line in
                Out.write(line)
                newline.withUnsafeBufferPointer { Out.write($0) }
                return true
            }
            Out.flush()
        }
    }
}

/// What `kith log stats` reports.
struct LogStatistics: Codable {
    var events: UInt64 = 0
    var segments = 0
    var batches = 0
    var bytesOnDisk = 0
    var compressedBytes = 0
    var uncompressedBytes = 0
    var compressionRatio = 0.0
    var bySource: [String: Int] = [:]
    var byType: [String: Int] = [:]

    enum CodingKeys: String, CodingKey {
        case events, segments, batches
        case bytesOnDisk = "bytes_on_disk"
        case compressedBytes = "compressed_bytes"
        case uncompressedBytes = "uncompressed_bytes"
        case compressionRatio = "compression_ratio"
        case bySource = "by_source"
        case byType = "by_type"
    }

    static func gather(logDirectory: String) throws -> LogStatistics {
        let reader = try EventLogReader(directory: logDirectory)
        var s = LogStatistics()
        s.events = reader.endPosition
        s.segments = reader.segments.count
        s.batches = reader.batches.count
        s.compressedBytes = reader.batches.reduce(0) { $0 + $1.header.totalLength }
        s.uncompressedBytes = reader.batches.reduce(0) { $0 + Int($1.header.uncompressedLength) }
        s.compressionRatio = s.compressedBytes > 0 ? Double(s.uncompressedBytes) / Double(s.compressedBytes) : 0
        let names = (try? FileManager.default.contentsOfDirectory(atPath: logDirectory)) ?? []
        for name in names {
            let attributes = try? FileManager.default.attributesOfItem(atPath: logDirectory + "/" + name)
            s.bytesOnDisk += (attributes?[.size] as? Int) ?? 0
        }
        try reader.forEachLine { _, line in
            if let (source, type) = CanonicalLine.sourceAndType(of: line) {
                s.bySource[source, default: 0] += 1
                s.byType[type, default: 0] += 1
            }
            return true
        }
        return s
    }

    var rendered: String {
        var out = [
            "events        \(Int(events).grouped)",
            "segments      \(segments) (\(batches.grouped) batches)",
            "bytes on disk \(bytesOnDisk.grouped)",
            String(
                format: "compression   %@ → %@ bytes (%.2f×)", uncompressedBytes.grouped, compressedBytes.grouped,
                compressionRatio),
            "",
        ]
        var bySourceTable = TextTable(header: ["source", "events"], rightAligned: [1])
        bySourceTable.rows = bySource.sorted { $0.key < $1.key }.map { [$0.key, $0.value.grouped] }
        var byTypeTable = TextTable(header: ["type", "events"], rightAligned: [1])
        byTypeTable.rows = byType.sorted { $0.key < $1.key }.map { [$0.key, $0.value.grouped] }
        out.append(bySourceTable.render())
        out.append("")
        out.append(byTypeTable.render())
        return out.joined(separator: "\n")
    }
}
