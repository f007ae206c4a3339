import ArgumentParser
import Foundation
import KithCore
import KithEngine
import KithProjections

extension IdentityCommand {
    /// The review queue for junk values: what the guards caught, and what nothing caught yet
    /// that looks like it (a value seen with values of several profiles, or with several of one
    /// kind). Confirmed junk goes on the rules file's blocklist; `kith replay --dry-run` shows
    /// what that changes.
    struct Suspects: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Identifier values most likely to be junk, for review.",
            discussion: """
                Lists values stopped by a never-link pattern, the blocklist, the evidence guard or the \
                shared-value guard, and values nothing stopped that were seen with values of several \
                profiles or with several values of one kind. Most profiles touched first. Values are \
                shown in full (this reads the data directory; add confirmed ones to the rules file's \
                blocklist, then run kith replay --dry-run). --unstopped lists only what no guard caught.
                """)
        @OptionGroup var data: DataOptions
        @OptionGroup var rules: RulesOption
        @Option(help: "How many to list.") var limit = 50
        @Flag(help: "Only values no guard stopped (the ones to review).") var unstopped = false
        @Option(help: "table, json, ndjson or csv") var format: OutputFormat = .table

        func run() throws {
            let rulesInForce = try Projection.rules(rules, data.directory)
            let store = try Projection.openStore(data.directory)
            let list = try Projection.reporting {
                try Engine.suspects(in: store, limit: limit, onlyUnstopped: unstopped, rules: rulesInForce)
            }
            switch format {
            case .json:
                try Out.json(list)
            case .ndjson:
                for s in list { try Out.json(s, pretty: false) }
            case .csv:
                Out.print(
                    "kind,value,standing,events,partners,conflicting_partners,own_names_differ,profiles,joins_parts")
                for s in list {
                    Out.print(
                        [
                            s.kind, s.value, s.standing, "\(s.events)", "\(s.partners)", "\(s.conflictingPartners)",
                            "\(s.ownNamesDiffer)", "\(s.profiles)", "\(s.joinsParts)",
                        ].map(CSVCell.escape).joined(separator: ","))
                }
            case .table:
                var table = TextTable(
                    header: ["kind", "value", "profiles", "joins", "partners", "conflicting", "events", "standing"],
                    rightAligned: [2, 3, 4, 5, 6])
                for s in list {
                    table.rows.append([
                        s.kind, s.value, "\(s.profiles)", "\(s.joinsParts)", "\(s.partners)",
                        "\(s.conflictingPartners)\(s.ownNamesDiffer ? " +own" : "")", "\(s.events)", s.standing,
                    ])
                }
                Out.print(list.isEmpty ? "no suspects" : table.render())
            }
            Out.flush()
        }
    }
}
