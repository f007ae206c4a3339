import ArgumentParser
import Foundation
import KithCore
import KithDirectory
import KithGenerator
import KithProjections

/// `kith bench`: sizes Kith for a user's data by running the real commands at several scales.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract:
            "Measure ingest, projection, replay, RFM refresh and lookups at your scale (or identity resolution alone).",
        subcommands: [Scales.self, IdentityBench.self], defaultSubcommand: Scales.self)
}

extension BenchCommand {
    struct Scales: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "scales",
            abstract: "Generate exports per scale, then time ingest, projection, RFM refresh, replay and lookups.",
            discussion: """
                Each step runs as its own kith process, timed from outside, with its peak memory from the kernel. \
                Writes bench.json and bench.svg to --out and prints a table with how cost grows with work.
                """)

        @Option(help: "The largest scale, in persons (the default scales are persons/16, persons/4 and persons).")
        var persons = 20_000
        @Option(help: "Comma-separated scales in persons (overrides the default three).") var scales: String?
        @Option(help: "Random seed of the generated data.") var seed: UInt64 = 1
        @Option(help: "Folder for bench.json, bench.svg and the working data.") var out = "kith-bench"
        @Option(help: "Profile lookups to sample per scale.") var lookups = 2_000
        @Flag(help: "Keep each scale's data directory (it is deleted after measuring otherwise).") var keep = false
        @Option(help: "table or json") var format: OutputFormat = .table

        func validate() throws {
            guard persons >= 100 else { throw ValidationError("--persons must be at least 100") }
            if let scales, parsedScales(scales) == nil {
                throw ValidationError("--scales expects comma-separated whole numbers ≥ 100, e.g. 50000,200000,1000000")
            }
        }

        func parsedScales(_ text: String) -> [Int]? {
            let values = text.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 100 }) else { return nil }
            return values.compactMap { $0 }.sorted()
        }

        func run() throws {
            let list =
                scales.flatMap(parsedScales)
                ?? Array(Set([max(100, persons / 16), max(100, persons / 4), persons])).sorted()
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            var rows: [ScaleResult] = []
            for (i, scale) in list.enumerated() {
                Out.note("bench \(i + 1)/\(list.count): \(scale.grouped) persons")
                do { rows.append(try measure(persons: scale)) } catch {
                    Out.note("error: \(error)")
                    throw ExitCode(1)
                }
                try write(rows)
            }
            let report = BenchReport(seed: seed, scales: rows)
            if format == .json { try Out.json(report) } else { Out.print(report.rendered) }
            Out.note("wrote \(out)/bench.json and \(out)/bench.svg")
            Out.flush()
        }

        private func write(_ rows: [ScaleResult]) throws {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(BenchReport(seed: seed, scales: rows)).write(
                to: URL(fileURLWithPath: out + "/bench.json"))
            try BenchChart.svg(rows).write(toFile: out + "/bench.svg", atomically: true, encoding: .utf8)
        }

        private func measure(persons: Int) throws -> ScaleResult {
            let work = out + "/persons-\(persons)"
            try? FileManager.default.removeItem(atPath: work)
            let exports = work + "/exports"
            let data = work + "/data"
            let generated = try Generator(persons: persons, seed: seed).write(to: exports)
            let files = generated.files.map { exports + "/" + $0 }
            var row = ScaleResult()
            row.persons = persons
            row.bytesIn = files.reduce(0) { $0 + Self.size(of: $1) }
            func step(_ label: String, _ arguments: [String]) throws -> ChildRun {
                Out.note("  \(label)…")
                let run = try ChildRun.kith(arguments, scratch: work)
                guard run.status == 0 else {
                    throw BenchError("`kith \(arguments.joined(separator: " "))` exited with status \(run.status)")
                }
                row.peakRSSBytes = max(row.peakRSSBytes, run.peakRSSBytes)
                return run
            }
            func decode<T: Decodable>(_ run: ChildRun, _ type: T.Type) throws -> T {
                try JSONDecoder().decode(T.self, from: run.stdout)
            }

            let ingest = try decode(
                try step(
                    "ingest", ["ingest", "--data", data, "--no-project", "--no-progress", "--format", "json"] + files),
                IngestOutput.self)
            row.events = ingest.accepted
            row.ingestSeconds = ingest.seconds
            row.ingestEventsPerSecond = ingest.eventsPerSecond
            let projection = try decode(
                try step("project", ["project", "--data", data, "--format", "json"]), Projector.Summary.self)
            row.projectionSeconds = projection.seconds
            row.projectionEventsPerSecond = projection.eventsPerSecond
            let refresh = try step("rfm refresh", ["rfm", "refresh", "--data", data, "--format", "json"])
            row.rfmRefreshSeconds = refresh.seconds
            let replay = try decode(
                try step("replay", ["replay", "--data", data, "--format", "json"]), ReplayOutput.self)
            row.replaySeconds = replay.projection.seconds
            row.replayEventsPerSecond = replay.projection.eventsPerSecond
            let stats = try decode(
                try step("identity stats", ["identity", "stats", "--data", data, "--format", "json"]),
                IdentityStats.self)
            row.profiles = stats.profiles
            row.merges = stats.merges
            row.splits = stats.splits
            row.largestProfileValues = stats.largestProfileValues
            row.identityLinks = max(0, stats.linkedValues - stats.profiles)
            row.identityLinksPerSecond =
                row.projectionSeconds > 0 ? Double(row.identityLinks) / row.projectionSeconds : 0
            let truth = exports + "/truth/persons.ndjson"
            let score = try decode(
                try step(
                    "identity score", ["identity", "score", "--data", data, "--truth", truth, "--format", "json"]),
                PairwiseScore.self)
            row.precision = score.precision
            row.recall = score.recall
            Out.note("  lookups…")
            let latencies = try LookupSample.run(data: DataDirectory(data), truth: truth, count: lookups)
            row.lookups = latencies.count
            row.lookupP50Milliseconds = LookupSample.percentile(latencies, 0.50) * 1_000
            row.lookupP99Milliseconds = LookupSample.percentile(latencies, 0.99) * 1_000
            row.dataBytes = Self.treeSize(data)
            row.bytesPerEvent = row.events > 0 ? Double(row.dataBytes) / Double(row.events) : 0
            try? FileManager.default.removeItem(atPath: exports)
            if !keep { try? FileManager.default.removeItem(atPath: work) }
            return row
        }

        static func size(of path: String) -> Int {
            (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        }

        static func treeSize(_ path: String) -> Int {
            guard let walker = FileManager.default.enumerator(atPath: path) else { return 0 }
            var total = 0
            while let name = walker.nextObject() as? String { total += size(of: path + "/" + name) }
            return total
        }
    }

    /// The parts of the children's JSON the benchmark reads.
    struct IngestOutput: Decodable {
        var accepted: Int
        var seconds: Double
        var eventsPerSecond: Double
        enum CodingKeys: String, CodingKey {
            case accepted, seconds
            case eventsPerSecond = "events_per_second"
        }
    }

    struct ReplayOutput: Decodable {
        var projection: Projector.Summary
    }
}
