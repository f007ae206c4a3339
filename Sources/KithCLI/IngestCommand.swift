import ArgumentParser
import Foundation
import KithIngest
import KithLog
import KithProjections
import KithCore
import KithDirectory
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
    @Argument(help: "Files to ingest; - reads standard input (NDJSON, or CSV with --mapping).") var files: [String]
    @Option(help: "Source for lines without one (NDJSON), or instead of the mapping's (CSV).") var source: String?
    @Option(help: "Mapping file (JSON or YAML) for CSV inputs.") var mapping: String?
    @Option(help: "Summary format: table or json.") var format: OutputFormat = .table
    @Flag(help: "Never draw a progress bar.") var noProgress = false
    @Flag(help: "Only append to the log; leave profiles for a later `kith project`.") var noProject = false
    @OptionGroup var rules: RulesOption
    @OptionGroup var priority: BatchPriority

    func run() async throws {
        priority.apply()
        var options = Engine.Ingest(
            rules: try Projection.rules(rules, data.directory), project: !noProject, source: source,
            mappingPath: mapping)
        let inputs = files.map { $0 == "-" ? IngestInput.standardInput(csv: mapping != nil) : IngestInput.file($0) }
        let (summary, projection) = try await IngestCommand.ingest(
            inputs, into: data.directory, options: &options, progress: !noProgress && Out.stderrIsTerminal)
        let store = try Projection.engine(data.directory).storeName
        if format == .json {
            try Out.json(Stored(IngestReport(ingest: summary, projection: projection), store: store))
        } else {
            Out.print(IngestCommand.render(summary, store: store))
            if let projection { Out.print(Projection.render(projection, store: store)) }
        }
        Out.flush()
        if summary.failedFiles > 0 { throw ExitCode(1) }
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

    /// Ingests `inputs` through the engine, drawing progress on a terminal; an error stops the
    /// command with exit status 2, saying what to do.
    static func ingest(
        _ inputs: [IngestInput], into directory: DataDirectory, options: inout Engine.Ingest, progress: Bool
    ) async throws -> (IngestSummary, Projector.Summary?) {
        let engine = try Projection.engine(directory)
        let bar = ProgressBar(enabled: progress)
        options.progress = { bar.update($0) }
        if progress { options.projectionProgress = ProgressLine(label: "project").show }
        let outcome: Engine.IngestOutcome
        do { outcome = try await engine.ingest(inputs, options) } catch let error as EngineError {
            Out.note(Projection.message(for: error))
            throw ExitCode(2)
        }
        bar.finish()
        for line in outcome.summary.recovery { Out.note("recovered: \(line)") }
        if progress, outcome.projection != nil { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        let projection = try outcome.projection.map { result in try Projection.reporting { try result.get() } }
        return (outcome.summary, projection)
    }

    /// The ingest's table and summary lines; `store` names the log the events went into.
    static func render(_ s: IngestSummary, store: String? = nil) -> String {
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
                format: "%.2f s, %@ events/s, %.1f MB read; log positions %llu..<%llu%@", s.seconds,
                Int(s.eventsPerSecond).grouped, Double(s.bytesRead) / 1e6, s.firstPosition, s.endPosition,
                store.map { " in \($0)" } ?? ""))
        for f in s.files { if let error = f.error { out.append("error: \(f.path): \(error)") } }
        return out.joined(separator: "\n")
    }
}
