import Foundation
import KithCore
import KithLog

/// Batch ingest of channel exports: NDJSON (plain, `.gz`, `.lz4`) and CSV with a mapping.
///
/// Chunks are parsed in parallel and appended in order, so positions follow the input; each
/// append is durable before the next chunk's results are taken. Bad lines go to the
/// quarantine (fsynced before the chunk's events are acknowledged); a broken file is reported
/// and the others still land. Memory is bounded by the chunk size × the parse window.
public final class Ingestor {
    public struct Options: Sendable {
        /// Fills in (and must match) `source` on NDJSON lines; overrides a mapping's source.
        public var source: String?
        /// Mapping file for CSV inputs.
        public var mappingPath: String?
        public var chunkBytes = 4 << 20
        /// Chunks parsed ahead of the appender.
        public var window = 3
        /// Identifier kinds the rules file declares (beyond the well-known ones).
        public var declaredKinds: [String: IdentifierNormalizer.Method] = [:]
        /// The sources lines may name (an HTTP write key's); lines of others are quarantined.
        public var allowedSources: Set<String>?
        /// Identify quarantined lines by their bytes alone, not file and line: the same bad line
        /// posted twice is kept once.
        public var quarantineByBytes = false
        public init(source: String? = nil, mappingPath: String? = nil) {
            self.source = source
            self.mappingPath = mappingPath
        }
    }

    let log: any EventLog
    let quarantine: QuarantineStore
    let options: Options
    let clock = ContinuousClock()

    public init(log: any EventLog, quarantine: QuarantineStore, options: Options) {
        self.log = log
        self.quarantine = quarantine
        self.options = options
    }

    /// Ingests files (see `ingest(_:progress:)`).
    public func ingest(files: [String], progress: (@Sendable (IngestProgress) -> Void)? = nil) async -> IngestSummary {
        await ingest(files.map(IngestInput.file), progress: progress)
    }

    /// Ingests each input in turn; one that cannot be read to the end is reported in its
    /// summary and the others still land.
    public func ingest(_ inputs: [IngestInput], progress: (@Sendable (IngestProgress) -> Void)? = nil) async
        -> IngestSummary
    {
        let start = clock.now
        var summary = IngestSummary()
        summary.firstPosition = log.endPosition
        summary.recovery = log.recoveryNotes
        let totalBytes = inputs.reduce(0) { $0 + $1.size }
        var bytesBefore = 0
        var bytesRead = 0
        let time = ISO8601DateFormatter().string(from: Date())
        for (index, input) in inputs.enumerated() {
            summary.files.append(IngestSummary.FileSummary(path: input.name, format: input.isCSV ? "csv" : "ndjson"))
            let report: @Sendable (Int, Int) -> Void = { [clock, bytesBefore] consumed, events in
                progress?(
                    IngestProgress(
                        file: input.name, fileIndex: index, fileCount: inputs.count,
                        bytesDone: bytesBefore + consumed, bytesTotal: totalBytes, events: events,
                        seconds: (clock.now - start).inSeconds))
            }
            do {
                let consumed: Int
                if input.isCSV {
                    consumed = try await ingestCSV(input, fileIndex: index, time: time, into: &summary, report: report)
                } else {
                    consumed = try await ingestNDJSON(
                        input, fileIndex: index, time: time, into: &summary, report: report)
                }
                bytesRead += consumed
            } catch {
                summary.files[index].error = "\(error)"
                bytesRead += input.size
            }
            bytesBefore += input.size
        }
        summary.bytesRead = max(totalBytes, bytesRead)
        summary.seconds = (clock.now - start).inSeconds
        summary.eventsPerSecond = summary.seconds > 0 ? Double(summary.accepted) / summary.seconds : 0
        summary.endPosition = log.endPosition
        return summary
    }

    static func isCSV(_ path: String) -> Bool {
        var name = path.lowercased()
        for ext in [".gz", ".lz4"] where name.hasSuffix(ext) { name = String(name.dropLast(ext.count)) }
        return name.hasSuffix(".csv") || name.hasSuffix(".tsv")
    }

    /// `exports/pos.csv` → `exports/pos.mapping.yaml` (or `.yml`, `.json`) if it exists.
    static func siblingMapping(of path: String) -> String? {
        var base = path
        for ext in [".gz", ".lz4", ".csv", ".tsv"] where base.lowercased().hasSuffix(ext) {
            base = String(base.dropLast(ext.count))
        }
        return ["yaml", "yml", "json"].map { base + ".mapping." + $0 }
            .first { FileManager.default.fileExists(atPath: $0) }
    }

    var parser: EventLineParser {
        var parser = EventLineParser(defaultSource: options.source, declaredKinds: options.declaredKinds)
        parser.allowedSources = options.allowedSources
        return parser
    }

    /// Lands one parsed chunk: quarantine first (durable), then the durable log append.
    func land(_ chunk: ParsedChunk, fileIndex: Int, into summary: inout IngestSummary) throws {
        try quarantine.append(chunk.quarantined)
        let outcome =
            chunk.lines.isEmpty
            ? AppendOutcome(appended: 0, duplicates: 0, positions: log.endPosition..<log.endPosition)
            : try log.append(chunk.lines)
        summary.add(chunk, appended: outcome.appended, duplicates: outcome.duplicates, file: fileIndex)
    }

    /// Returns the bytes consumed.
    private func ingestNDJSON(
        _ input: IngestInput, fileIndex: Int, time: String, into summary: inout IngestSummary,
        report: @Sendable (Int, Int) -> Void
    ) async throws -> Int {
        let chunker = LineChunker(try input.open(), chunkBytes: options.chunkBytes)
        let parser = self.parser
        let origin = ChunkOrigin(
            file: input.name, source: options.source, mappingPath: nil, csvHeader: nil, time: time,
            byBytes: options.quarantineByBytes)
        var inflight: [Task<ParsedChunk, Never>] = []
        var failure: (any Error)?
        while true {
            let chunk: LineChunk?
            do { chunk = try chunker.next() } catch {
                failure = error
                break
            }
            guard let chunk else { break }
            inflight.append(Task { ChunkParsing.ndjson(chunk, parser: parser, origin: origin) })
            if inflight.count >= options.window {
                try land(await inflight.removeFirst().value, fileIndex: fileIndex, into: &summary)
                report(chunker.consumed, summary.accepted)
            }
        }
        for task in inflight {
            try land(await task.value, fileIndex: fileIndex, into: &summary)
            report(chunker.consumed, summary.accepted)
        }
        if let failure { throw failure }
        return chunker.consumed
    }

    /// Returns the bytes consumed.
    private func ingestCSV(
        _ input: IngestInput, fileIndex: Int, time: String, into summary: inout IngestSummary,
        report: @Sendable (Int, Int) -> Void
    ) async throws -> Int {
        let path = input.name
        guard let mappingPath = options.mappingPath ?? input.path.flatMap(Ingestor.siblingMapping(of:)) else {
            throw IngestError(
                .badArgument,
                "a CSV file needs --mapping FILE, or a NAME.mapping.yaml beside it (see schemas/examples/)", file: path)
        }
        let mapping = try Mapping.load(from: mappingPath)
        let delimiter = mapping.delimiterByte
        let chunker = LineChunker(try input.open(), chunkBytes: options.chunkBytes, quoteAware: true)
        guard var first = try chunker.next() else { return chunker.consumed }
        // The header is the first record of the first chunk; the rest of that chunk follows it.
        let headerTable = CSVTable.parse(first, delimiter: delimiter)
        guard let headerRow = headerTable.rows.first else { return chunker.consumed }
        let header = (0..<headerRow.fields.count).map { headerTable.string(headerRow, $0) }
        var rest = headerRow.raw.upperBound
        while rest < first.bytes.count && first.bytes[rest] != 0x0A { rest += 1 }
        rest = min(first.bytes.count, rest + 1)
        let headerLines = LineChunker.countNewlines(Array(first.bytes[0..<rest]))
        first = LineChunk(
            bytes: Array(first.bytes[rest...]), firstLine: headerRow.line + headerLines, oversized: first.oversized)
        let compiled: CompiledMapping
        do {
            compiled = try CompiledMapping(mapping, header: header, sourceOverride: options.source)
        } catch let error as IngestError {
            throw IngestError(error.code, error.message, file: path)
        }
        var parser = EventLineParser(declaredKinds: options.declaredKinds)
        parser.allowedSources = options.allowedSources
        let absoluteMapping = URL(fileURLWithPath: mappingPath).standardizedFileURL.path
        let origin = ChunkOrigin(
            file: path, source: options.source, mappingPath: absoluteMapping,
            csvHeader: String(decoding: headerTable.source[headerRow.raw], as: UTF8.self), time: time)
        var inflight: [Task<ParsedChunk, Never>] = []
        var failure: (any Error)?
        var next: LineChunk? = first
        while let chunk = next {
            inflight.append(
                Task {
                    var parsed = ChunkParsing.csv(
                        CSVTable.parse(chunk, delimiter: delimiter), mapping: compiled, parser: parser, origin: origin)
                    parsed.quarantined += ChunkParsing.oversized(chunk, origin: origin, format: .csv)
                    parsed.records += chunk.oversized.count
                    return parsed
                })
            if inflight.count >= options.window {
                try land(await inflight.removeFirst().value, fileIndex: fileIndex, into: &summary)
                report(chunker.consumed, summary.accepted)
            }
            do { next = try chunker.next() } catch {
                failure = error
                next = nil
            }
        }
        for task in inflight {
            try land(await task.value, fileIndex: fileIndex, into: &summary)
            report(chunker.consumed, summary.accepted)
        }
        if let failure { throw failure }
        return chunker.consumed
    }
}
