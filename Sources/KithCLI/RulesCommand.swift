import ArgumentParser
import Foundation
import KithCore
import KithEngine
import KithProjections

struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules", abstract: "The rules in force.", subcommands: [Show.self], defaultSubcommand: Show.self)

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "The rules the projection store was built and refreshed with: content hash, when applied, content.")
        @OptionGroup var data: DataOptions
        @OptionGroup var rules: RulesOption
        @Option(help: "table or json") var format: OutputFormat = .table

        struct Entry: Encodable {
            var hash: String
            var appliedAt: String
            var rules: Rules?

            enum CodingKeys: String, CodingKey {
                case hash, rules
                case appliedAt = "applied_at"
            }
        }

        struct Report: Encodable {
            var inForce: Entry?
            var history: [Entry]
            var fileHash: String
            var fileMatches: Bool

            enum CodingKeys: String, CodingKey {
                case history
                case inForce = "in_force"
                case fileHash = "file_hash"
                case fileMatches = "file_matches"
            }
        }

        func run() throws {
            let store = try Projection.openStore(data.directory)
            let history = try Projection.reporting { try Engine.rulesApplied(in: store) }.map {
                Entry(
                    hash: $0.hash, appliedAt: $0.appliedAt,
                    rules: try? JSONDecoder().decode(Rules.self, from: Data($0.rules.utf8)))
            }
            let file = try Projection.rules(rules, data.directory)
            let fileHash = Projector.hash(fullRules: file)
            let report = Report(
                inForce: history.first, history: history, fileHash: fileHash,
                fileMatches: history.first?.hash == fileHash)
            if format == .json {
                try Out.json(report)
                Out.flush()
                return
            }
            guard let current = history.first else {
                Out.print("no rules applied yet: ingest or project first")
                Out.flush()
                return
            }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let body =
                current.rules.flatMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
                ?? "(unreadable)"
            Out.print("rules in force: \(current.hash) (applied \(current.appliedAt))")
            if !report.fileMatches {
                Out.print(
                    "note: the rules file in force now differs (\(fileHash)); `kith replay` applies it (--dry-run shows the impact first)"
                )
            }
            for earlier in history.dropFirst() { Out.print("earlier: \(earlier.hash) (applied \(earlier.appliedAt))") }
            Out.print(body)
            Out.flush()
        }
    }
}
