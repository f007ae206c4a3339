import ArgumentParser
import Foundation
import KithCore
import KithEngine
import KithLog

struct LogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "log", abstract: "Inspect the event log.",
        subcommands: [Stats.self, Read.self, Verify.self, Repair.self, Copy.self])

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Events, segments, bytes and counts by source and type.")
        @OptionGroup var data: DataOptions
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            let stats = try Projection.reporting {
                if let url = data.directory.storeURL { return try Engine.logStatistics(ofPostgres: url) }
                return try Projection.engine(data.directory).logStatistics()
            }
            if format == .json {
                try Out.json(stats)
            } else {
                if let name = stats.store { Out.print("store         \(name)") }
                Out.print(LogCommand.render(stats))
            }
        }
    }

    struct Read: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print events as canonical NDJSON.")
        @OptionGroup var data: DataOptions
        @Option(help: "First position to print.") var from: UInt64 = 0
        @Option(help: "Print at most N events.") var limit: Int?

        func run() throws {
            let reader: any EventLogReading = try Projection.reporting {
                if let url = data.directory.storeURL { return try Engine.postgresLog(url) }
                return try Projection.engine(data.directory).logReader()
            }
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

extension LogCommand {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read every byte of the log: batches, CRCs, positions, records, duplicates, keys files.",
            discussion:
                "Exit status 0 when the log is intact, 3 when something is damaged (each problem names file, offset and positions)."
        )
        @OptionGroup var data: DataOptions
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            if let url = data.directory.storeURL { return try verifyPostgres(url) }
            let check: LogCheck
            do { check = try Engine(directory: data.directory).checkLog() } catch {
                Out.note("error: \(error)")
                throw ExitCode(2)
            }
            if format == .json {
                try Out.json(check)
            } else {
                let sealed = check.segments.filter(\.sealed).count
                Out.print(
                    "\(check.segments.count) segments (\(sealed) sealed), \(check.segments.reduce(0) { $0 + $1.batches }.grouped) "
                        + "whole batches, \(check.intactEvents.grouped) intact events")
                Out.print(check.isClean ? "the log is intact" : "\(check.problems.count) problem(s):")
                for problem in check.problems { Out.print("  " + problem.description) }
                if !check.isClean {
                    Out.print(
                        check.onlySafeRepairs
                            ? "kith log repair fixes these without losing an acknowledged event"
                            : "kith log repair --salvage keeps every intact event and sets the damaged log aside")
                }
            }
            if !check.isClean { throw ExitCode(3) }
        }

        /// A log in PostgreSQL: positions without gaps, and each record's key its own.
        private func verifyPostgres(_ url: String) throws {
            let (name, events, problems) = try Projection.reporting { try Engine.verifyLog(ofPostgres: url) }
            if format == .json {
                try Out.json(PostgresCheck(store: name, events: events, problems: problems))
            } else {
                Out.print("store \(name): \(Int(events).grouped) events")
                Out.print(problems.isEmpty ? "the log is intact" : "\(problems.count) problem(s):")
                for problem in problems { Out.print("  " + problem) }
            }
            if !problems.isEmpty { throw ExitCode(3) }
        }

        struct PostgresCheck: Encodable {
            let store: String
            let events: UInt64
            let problems: [String]
        }
    }

    struct Repair: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cut a torn tail and rebuild keys files; with --salvage, copy every intact event into a new log.",
            discussion: """
                Without --salvage only provably safe repairs are made (a torn tail was never acknowledged; keys files are \
                derived). --salvage renumbers positions, so the projection store is set aside with the damaged log and \
                rebuilt by the next kith project. Exit status 0 when the log is intact afterwards, 3 when damage remains.
                """)
        @OptionGroup var data: DataOptions
        @Flag(help: "Copy every intact event into a new log; set the damaged log and the projections aside.")
        var salvage = false
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            if data.directory.storeURL != nil {
                // PostgreSQL commits an append whole or not at all: there is no torn tail to cut.
                let engine = try Projection.engine(data.directory)
                Out.note(
                    "error: kith log repair mends the data directory's file log; the log in use is \(engine.storeName), "
                        + "which has no torn tail to cut. Run kith log verify to check it")
                throw ExitCode(2)
            }
            let repair: LogRepair
            do { repair = try Engine(directory: data.directory).repairLog(salvage: salvage) } catch {
                Out.note("error: \(error)")
                throw ExitCode(2)
            }
            if format == .json {
                try Out.json(repair)
            } else {
                Out.print(
                    repair.found.isEmpty
                        ? "the log is intact; nothing to repair" : "found \(repair.found.count) problem(s):")
                for problem in repair.found { Out.print("  " + problem.description) }
                for action in repair.actions { Out.print("repaired: " + action) }
                if let salvage = repair.salvage {
                    Out.print(
                        "salvaged: kept \(salvage.keptEvents.grouped) events, lost \(salvage.lostEvents.grouped) "
                            + "(positions \(salvage.lostPositions.joined(separator: ", "))); "
                            + "the projection store was set aside too: run kith project")
                }
                if !repair.remaining.isEmpty {
                    Out.print("still damaged (run with --salvage to keep everything intact and set the rest aside):")
                    for problem in repair.remaining { Out.print("  " + problem.description) }
                }
            }
            if !repair.remaining.isEmpty { throw ExitCode(3) }
        }
    }
}

extension LogCommand {
    static func render(_ s: Engine.LogStatistics) -> String {
        var out = ["events        \(Int(s.events).grouped)"]
        if let segments = s.segments { out.append("segments      \(segments) (\((s.batches ?? 0).grouped) batches)") }
        out += [
            "bytes on disk \(s.bytesOnDisk.grouped)",
            String(
                format: "compression   %@ → %@ bytes (%.2f×)", s.uncompressedBytes.grouped, s.compressedBytes.grouped,
                s.compressionRatio),
        ]
        if let ready = s.projectionReadyEvents {
            out.append(
                "columns       \(ready.grouped) of \(Int(s.events).grouped) events ready for a rebuild"
                    + " (\((s.columnsBytes ?? 0).grouped) bytes)"
                    + (UInt64(ready) < s.events ? "; `kith project --rebuild` makes the rest" : ""))
        }
        out.append("")
        var bySourceTable = TextTable(header: ["source", "events"], rightAligned: [1])
        bySourceTable.rows = s.bySource.sorted { $0.key < $1.key }.map { [$0.key, $0.value.grouped] }
        var byTypeTable = TextTable(header: ["type", "events"], rightAligned: [1])
        byTypeTable.rows = s.byType.sorted { $0.key < $1.key }.map { [$0.key, $0.value.grouped] }
        out.append(bySourceTable.render())
        out.append("")
        out.append(byTypeTable.render())
        return out.joined(separator: "\n")
    }
}
