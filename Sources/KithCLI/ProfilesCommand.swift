import ArgumentParser
import Foundation
import KithCore
import KithProjections

struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles", abstract: "Export every unified profile.", subcommands: [Export.self])

    /// One line of `kith profiles export`: the contract other tools score against.
    struct ExportLine: Encodable {
        var profileID: String
        var identifiers: [String: [String]]
        var traits: [String: String]
        var stats: ProfileView.Stats
        var rfm: ProfileView.RFM?

        enum CodingKeys: String, CodingKey {
            case identifiers, traits, stats, rfm
            case profileID = "profile_id"
        }
    }

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per profile: profile_id, identifiers (kind → normalised values), traits, stats.",
            discussion: "The output holds personal data in full: keep it where the data directory is kept.")
        @OptionGroup var data: DataOptions
        @OptionGroup var rules: RulesOption
        @Option(help: "ndjson or csv") var format: OutputFormat = .ndjson

        func run() throws {
            let store = try Projection.openStore(data.directory)
            let kinds = IdentifierKind.wellKnown.map(\.rawValue)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if format == .csv {
                Out.print(
                    (["profile_id"] + kinds + [
                        "traits", "events", "orders", "net_spend_cny", "first_seen", "last_seen", "segment", "stage",
                    ])
                    .joined(separator: ","))
            }
            try store.forEachProfile(traitRules: try Projection.rules(rules, data.directory).traits) { view in
                let line = ExportLine(
                    profileID: view.profileID, identifiers: view.identifiers.mapValues { $0.map(\.value) },
                    traits: view.traits.mapValues(\.value), stats: view.stats, rfm: view.rfm)
                if format == .csv {
                    let traits = String(decoding: try encoder.encode(line.traits), as: UTF8.self)
                    let cells =
                        [line.profileID] + kinds.map { (line.identifiers[$0] ?? []).joined(separator: "|") } + [
                            traits, String(view.stats.events), String(view.stats.orders),
                            view.stats.netSpend["CNY"] ?? "",
                            view.stats.firstSeen ?? "", view.stats.lastSeen ?? "", view.rfm?.segment?.key ?? "",
                            view.rfm?.stage.key ?? "",
                        ]
                    Out.print(cells.map(CSVCell.escape).joined(separator: ","))
                } else {
                    Out.print(String(decoding: try encoder.encode(line), as: UTF8.self))
                }
            }
            Out.flush()
        }
    }
}
