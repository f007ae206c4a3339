import ArgumentParser
import Foundation
import KithIngest
import KithLog
import KithProjections
import KithCore
import KithEngine

struct IngestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ingest",
        abstract: "Append channel exports (NDJSON, .gz, .lz4, or CSV with a mapping) to the event log.",
        discussion: """
            Bad lines are quarantined with a reason (see `kith quarantine list`); the rest land. \
            A CSV file uses --mapping, or NAME.mapping.yaml beside NAME.csv.

            Exit status: 0 when every file was read (even with quarantined lines), 1 when a file \
            could not be read to the end, 2 when the data directory is locked or cannot be opened.
            """)

    @OptionGroup var data: DataOptions
    @Argument(help: "Files to ingest.") var files: [String]
    @Option(help: "Source for lines without one (NDJSON), or instead of the mapping's (CSV).") var source: String?
    @Option(help: "Mapping file (JSON or YAML) for CSV inputs.") var mapping: String?
    @Option(help: "Summary format: table or json.") var format: OutputFormat = .table
    @Flag(help: "Never draw a progress bar.") var noProgress = false
    @Flag(help: "Only append to the log; leave profiles for a later `kith project`.") var noProject = false
    @OptionGroup var rules: RulesOption
    @OptionGroup var priority: BatchPriority

    func run() async throws {
        priority.apply()
        let rulesInForce = try Projection.rules(rules, data.directory)
        var options = Ingestor.Options(source: source, mappingPath: mapping)
        options.declaredKinds = rulesInForce.declaredKinds
        let (summary, projection) = try await IngestCommand.ingest(
            files: files, into: data.directory, options: options, progress: !noProgress && Out.stderrIsTerminal,
            rules: noProject ? nil : rulesInForce)
        if format == .json {
            try Out.json(IngestReport(ingest: summary, projection: projection))
        } else {
            Out.print(IngestCommand.render(summary))
            if let projection { Out.print(Projection.render(projection)) }
        }
        Out.flush()
        if summary.failedFiles > 0 { throw ExitCode(1) }
    }

    static func openLog(_ directory: DataDirectory, purpose: String) throws -> any EventLog {
        let engine = try Projection.engine(directory)
        return try Projection.reporting { try engine.openLog(purpose: purpose) }
    }

    /// `--format json` output: the ingest summary's fields plus `projection` when profiles were updated.
    struct IngestReport: Encodable {
        var ingest: IngestSummary
        var projection: Projector.Summary?

        func encode(to encoder: any Encoder) throws {
            try ingest.encode(to: encoder)
            var c = encoder.container(keyedBy: Key.self)
            try c.encodeIfPresent(projection, forKey: Key(stringValue: "projection"))
        }

        struct Key: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }
    }

    static func ingest(
        files: [String], into directory: DataDirectory, options: Ingestor.Options, progress: Bool, rules: Rules?
    ) async throws -> (IngestSummary, Projector.Summary?) {
        let log = try openLog(directory, purpose: "kith ingest")
        let quarantine = try QuarantineStore(directory: directory.quarantine)
        do { try quarantine.checkRoom() } catch {
            Out.note("error: \(error)")
            throw ExitCode(2)
        }
        for line in log.recoveryNotes { Out.note("recovered: \(line)") }
        let bar = ProgressBar(enabled: progress)
        let summary = await Ingestor(log: log, quarantine: quarantine, options: options)
            .ingest(files: files) { bar.update($0) }
        bar.finish()
        try log.close()
        // Profiles follow the log; the writer lock is still held, so no one else projects.
        let projection = try withExtendedLifetime(log) {
            try rules.map { try Projection.catchUp(directory, rules: $0, progress: progress) }
        }
        return (summary, projection)
    }

    static func render(_ s: IngestSummary) -> String {
        var table = TextTable(
            header: ["file", "format", "records", "accepted", "duplicates", "quarantined", "skipped"],
            rightAligned: [2, 3, 4, 5, 6])
        for f in s.files {
            table.rows.append([
                f.path, f.format, f.records.grouped, f.accepted.grouped, f.duplicates.grouped, f.quarantined.grouped,
                f.skipped.grouped,
            ])
        }
        var out = [table.render(), ""]
        out.append(
            "accepted \(s.accepted.grouped), duplicates skipped \(s.duplicates.grouped), "
                + "quarantined \(s.quarantined.grouped), skipped by mapping \(s.skipped.grouped)")
        if !s.quarantinedByKind.isEmpty {
            out.append(
                "quarantined by reason: "
                    + s.quarantinedByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.grouped)" }
                    .joined(separator: ", "))
        }
        if !s.rejectedIdentifiers.isEmpty {
            out.append(
                "identifier values rejected (their events landed without them): "
                    + s.rejectedIdentifiers.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value.grouped)" }
                    .joined(separator: ", "))
        }
        out.append(
            String(
                format: "%.2f s, %@ events/s, %.1f MB read; log positions %llu..<%llu", s.seconds,
                Int(s.eventsPerSecond).grouped, Double(s.bytesRead) / 1e6, s.firstPosition, s.endPosition))
        for f in s.files { if let error = f.error { out.append("error: \(f.path): \(error)") } }
        return out.joined(separator: "\n")
    }
}
