import ArgumentParser
import Foundation
import KithEngine
import KithIngest

struct QuarantineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quarantine", abstract: "List, export and retry lines that could not land.",
        subcommands: [List.self, Export.self, Retry.self])

    struct Filter: ParsableArguments {
        @Option(help: "Only this reason kind (malformed_json, bad_timestamp, …).") var kind: String?
        @Option(help: "Only records from this input file.") var file: String?

        func records(in data: DataOptions) throws -> [QuarantineRecord] {
            let engine = try Projection.engine(data.directory)
            return try Projection.reporting { try engine.quarantined(kind: kind, file: file) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show quarantined records: where, which kind, which field, why (no raw personal data).")
        @OptionGroup var data: DataOptions
        @OptionGroup var filter: Filter
        @Option(help: "Show at most N records.") var limit: Int?
        @Option(help: "table, json, ndjson or csv") var format: OutputFormat = .table

        func run() throws {
            var records = try filter.records(in: data)
            let byKind = Dictionary(grouping: records, by: \.kind.rawValue).mapValues(\.count)
            let total = records.count
            if let limit { records = Array(records.prefix(limit)) }
            let rows = records.map { [$0.id, $0.file, String($0.line), $0.kind.rawValue, $0.field ?? "", $0.reason] }
            let header = ["id", "file", "line", "kind", "field", "reason"]
            switch format {
            case .table:
                var table = TextTable(header: header, rightAligned: [2])
                table.rows = rows
                Out.print(table.render())
                Out.print(
                    "\n\(total.grouped) quarantined"
                        + (byKind.isEmpty
                            ? ""
                            : ": "
                                + byKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                                    separator: ", ")))
            case .json:
                try Out.json(records.map(ListedRecord.init))
            case .ndjson:
                for r in records { try Out.json(ListedRecord(r), pretty: false) }
            case .csv:
                Out.print(header.joined(separator: ","))
                for row in rows { Out.print(row.map(CSVCell.escape).joined(separator: ",")) }
            }
            Out.flush()
        }
    }

    /// A quarantine record without its raw bytes, for listing.
    struct ListedRecord: Encodable {
        var id, file: String
        var line: Int
        var kind: String
        var field: String?
        var reason: String
        init(_ r: QuarantineRecord) {
            id = r.id
            file = r.file
            line = r.line
            kind = r.kind.rawValue
            field = r.field
            reason = r.reason
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write quarantined records in full (with the original bytes) to fix them.",
            discussion: "The output holds personal data: keep it inside the data directory's protection.")
        @OptionGroup var data: DataOptions
        @OptionGroup var filter: Filter
        @Flag(help: "Write only the original lines (for NDJSON inputs), ready to fix and ingest again.") var raw = false
        @Option(help: "Write to this file instead of standard output.") var out: String?

        func run() throws {
            let records = try filter.records(in: data)
            var text = Data()
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            for r in records {
                if raw {
                    text.append(contentsOf: r.rawBytes)
                } else {
                    text.append(try encoder.encode(r))
                }
                text.append(0x0A)
            }
            if let out {
                try text.write(to: URL(fileURLWithPath: out), options: .atomic)
                Out.note("wrote \(records.count) quarantined records to \(out)")
            } else {
                text.withUnsafeBytes { Out.write($0.bindMemory(to: UInt8.self)) }
                Out.flush()
            }
        }
    }

    struct Retry: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-run quarantined records; those that now land are appended and removed.")
        @OptionGroup var data: DataOptions
        @Option(help: "Use this mapping for CSV records instead of the one they were read with.") var mapping: String?
        @OptionGroup var rules: RulesOption
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            let engine = try Projection.engine(data.directory)
            let rulesInForce = try Projection.rules(rules, data.directory)
            let result = try Projection.reporting { try engine.retryQuarantine(under: rulesInForce, mapping: mapping) }
            let outcome = result.retried
            if format == .json {
                try Out.json(outcome)
            } else {
                Out.print(
                    "retried \(outcome.retried.grouped): landed \(outcome.landed.grouped), "
                        + "already in the log \(outcome.duplicates.grouped), still quarantined \(outcome.stillQuarantined.grouped)"
                        + (outcome.byKind.isEmpty
                            ? ""
                            : " ("
                                + outcome.byKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(
                                    separator: ", ") + ")"))
            }
            switch result.projection {
            case .success(let summary): Out.note(Projection.render(summary, store: engine.storeName))
            case .failure(let error):
                Out.note(Projection.message(for: error))
                Out.flush()
                throw ExitCode(2)
            case nil: break
            }
            Out.flush()
        }
    }
}
