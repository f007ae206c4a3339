import KithCore
import KithLog

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The outcome of parsing one chunk: canonical lines to append and records to quarantine.
struct ParsedChunk: Sendable {
    var lines = EncodedLines()
    var quarantined: [QuarantineRecord] = []
    /// Non-blank lines (or CSV records) seen.
    var records = 0
    /// Rows a mapping told us to skip (a `null` in its value map).
    var skipped = 0
    var rejectedIdentifiers: [String: Int] = [:]
}

/// Where a chunk came from, for the quarantine records it produces.
struct ChunkOrigin: Sendable {
    var file: String
    var source: String?
    var mappingPath: String?
    var csvHeader: String?
    var time: String
    /// Quarantined lines are identified by their bytes alone (see `Ingestor.Options`).
    var byBytes = false
}

enum ChunkParsing {
    static func ndjson(_ chunk: LineChunk, parser: EventLineParser, origin: ChunkOrigin) -> ParsedChunk {
        var result = ParsedChunk()
        result.lines.bytes.reserveCapacity(chunk.bytes.count + chunk.bytes.count / 8)
        result.quarantined = oversized(chunk, origin: origin, format: .ndjson)
        result.records += chunk.oversized.count
        var scratch = EventLineParser.Scratch()
        chunk.bytes.withUnsafeBufferPointer { all in
            guard let base = all.baseAddress else { return }
            var start = 0
            var lineNumber = chunk.firstLine
            let n = all.count
            while start < n {
                var end = n
                if let hit = memchr(base + start, 0x0A, n - start) {
                    end = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
                }
                var stop = end
                if stop > start, all[stop - 1] == 0x0D { stop -= 1 }
                let line = UnsafeBufferPointer(rebasing: all[start..<stop])
                defer {
                    start = end + 1
                    lineNumber += 1
                }
                if isBlank(line) { continue }
                result.records += 1
                switch parser.parse(line, appendingTo: &result.lines.bytes, scratch: &scratch) {
                case .success(let parsed):
                    result.lines.endLine(key: parsed.key)
                    for r in parsed.rejectedIdentifiers {
                        result.rejectedIdentifiers[identifierKind(of: r), default: 0] += 1
                    }
                case .failure(let reason):
                    result.quarantined.append(
                        QuarantineRecord(
                            file: origin.file, line: lineNumber, format: .ndjson, reason: reason, raw: Array(line),
                            source: origin.source, at: origin.time, identifiedByBytes: origin.byBytes))
                }
            }
        }
        return result
    }

    static func csv(_ table: CSVTable, mapping: CompiledMapping, parser: EventLineParser, origin: ChunkOrigin)
        -> ParsedChunk
    {
        var result = ParsedChunk()
        var line: [UInt8] = []
        var offsets: [Int64: Int] = [:]
        var scratch = EventLineParser.Scratch()
        table.storage.withUnsafeBufferPointer { storage in
            for row in table.rows {
                result.records += 1
                func quarantine(_ reason: QuarantineReason) {
                    var reason = reason
                    if let column = mapping.column(forField: reason.field), !reason.message.hasPrefix("column") {
                        reason.message = "column `\(column)`: " + reason.message
                    }
                    result.quarantined.append(
                        QuarantineRecord(
                            file: origin.file, line: row.line, format: .csv, reason: reason, raw: table.raw(row),
                            csvHeader: origin.csvHeader, mapping: origin.mappingPath, source: origin.source,
                            at: origin.time))
                }
                switch mapping.build(row, in: table, storage: storage, offsets: &offsets, into: &line) {
                case .skipped:
                    result.skipped += 1
                case .rejected(let reason):
                    quarantine(reason)
                case .line:
                    let parsed = line.withUnsafeBufferPointer {
                        parser.parse($0, appendingTo: &result.lines.bytes, scratch: &scratch)
                    }
                    switch parsed {
                    case .success(let p):
                        result.lines.endLine(key: p.key)
                        for r in p.rejectedIdentifiers {
                            result.rejectedIdentifiers[identifierKind(of: r), default: 0] += 1
                        }
                    case .failure(let reason):
                        quarantine(reason)
                    }
                }
            }
        }
        return result
    }

    static func oversized(_ chunk: LineChunk, origin: ChunkOrigin, format: QuarantineRecord.Format)
        -> [QuarantineRecord]
    {
        chunk.oversized.map { long in
            QuarantineRecord(
                file: origin.file, line: long.line, format: format,
                reason: QuarantineReason(
                    .lineTooLong, field: nil, "line is longer than the 16 MiB limit; only its first 4 KiB are kept"),
                raw: long.prefix, csvHeader: origin.csvHeader, mapping: origin.mappingPath, source: origin.source,
                at: origin.time)
        }
    }

    static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in line where c != 0x20 && c != 0x09 && c != 0x0D { return false }
        return true
    }

    static func identifierKind(of reason: QuarantineReason) -> String {
        guard let field = reason.field, field.hasPrefix("identifiers.") else { return "unknown" }
        return String(field.dropFirst("identifiers.".count))
    }
}
