import KithCore
import KithLog

/// Re-runs quarantined records (after a mapping or rules fix); those that now land are appended
/// to the log and removed from the quarantine, the rest stay with their current reason.
public struct QuarantineRetry {
    public struct Outcome: Codable, Sendable {
        public var retried = 0
        public var landed = 0
        public var duplicates = 0
        public var stillQuarantined = 0
        public var byKind: [String: Int] = [:]

        enum CodingKeys: String, CodingKey {
            case retried, landed, duplicates
            case stillQuarantined = "still_quarantined"
            case byKind = "still_by_kind"
        }
    }

    public var mappingOverride: String?
    public var declaredKinds: [String: IdentifierNormalizer.Method] = [:]

    public init(mappingOverride: String? = nil) { self.mappingOverride = mappingOverride }

    public func run(store: QuarantineStore, log: any EventLog) throws -> Outcome {
        var outcome = Outcome()
        var kept: [QuarantineRecord] = []
        var lines = EncodedLines()
        var mappings: [String: Mapping] = [:]
        for record in try store.records() {
            outcome.retried += 1
            if record.kind == .lineTooLong {
                // Only the head of the line was kept: it cannot land, fix it at the source.
                kept.append(record)
                outcome.byKind[record.kind.rawValue, default: 0] += 1
                continue
            }
            let parser = EventLineParser(
                defaultSource: record.format == .ndjson ? record.source : nil,
                declaredKinds: declaredKinds)
            let result: Result<EventLineParser.ParsedLine, QuarantineReason>
            switch record.format {
            case .ndjson:
                let raw = record.rawBytes
                result = raw.withUnsafeBufferPointer { parser.parse($0, appendingTo: &lines.bytes) }
            case .csv:
                result = retryCSV(record, parser: parser, mappings: &mappings, into: &lines.bytes)
            }
            switch result {
            case .success(let parsed):
                lines.endLine(key: parsed.key)
            case .failure(let reason):
                lines.discardOpenLine()
                var updated = record
                updated.kind = reason.kind
                updated.field = reason.field
                updated.reason = reason.message
                kept.append(updated)
                outcome.byKind[reason.kind.rawValue, default: 0] += 1
            }
        }
        if !lines.isEmpty {
            let appended = try log.append(lines)
            outcome.landed = appended.appended
            outcome.duplicates = appended.duplicates
        }
        outcome.stillQuarantined = kept.count
        try store.replace(with: kept)
        return outcome
    }

    private func retryCSV(
        _ record: QuarantineRecord, parser: EventLineParser, mappings: inout [String: Mapping], into out: inout [UInt8]
    ) -> Result<EventLineParser.ParsedLine, QuarantineReason> {
        guard let mappingPath = mappingOverride ?? record.mapping, let header = record.csvHeader else {
            return .failure(QuarantineReason(.schemaViolation, field: nil, "no mapping to retry this CSV record with"))
        }
        let mapping: Mapping
        if let cached = mappings[mappingPath] {
            mapping = cached
        } else {
            do { mapping = try Mapping.load(from: mappingPath) } catch {
                return .failure(QuarantineReason(.schemaViolation, field: nil, "mapping: \(error)"))
            }
            mappings[mappingPath] = mapping
        }
        var bytes = Array(header.utf8)
        bytes.append(0x0A)
        let rowStart = bytes.count
        bytes.append(contentsOf: record.rawBytes)
        bytes.append(0x0A)
        let table = CSVTable.parse(
            LineChunk(bytes: bytes, firstLine: record.line - 1), delimiter: mapping.delimiterByte)
        guard table.rows.count == 2, table.rows[1].raw.lowerBound == rowStart else {
            return .failure(
                QuarantineReason(.schemaViolation, field: nil, "the stored CSV record could not be re-read"))
        }
        let head = (0..<table.rows[0].fields.count).map { table.string(table.rows[0], $0) }
        do {
            let compiled = try CompiledMapping(mapping, header: head, sourceOverride: record.source)
            var line: [UInt8] = []
            var offsets: [Int64: Int] = [:]
            let built = table.storage.withUnsafeBufferPointer {
                compiled.build(table.rows[1], in: table, storage: $0, offsets: &offsets, into: &line)
            }
            switch built {
            case .line: return line.withUnsafeBufferPointer { parser.parse($0, appendingTo: &out) }
            case .rejected(let reason): return .failure(reason)
            case .skipped:
                return .failure(QuarantineReason(.schemaViolation, field: nil, "the mapping now skips this row"))
            }
        } catch {
            return .failure(QuarantineReason(.schemaViolation, field: nil, "mapping: \(error)"))
        }
    }
}
