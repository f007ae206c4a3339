import ArgumentParser
import Foundation
import KithCore
import KithEngine
import KithProjections

struct ProfilesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "profiles", abstract: "Export every unified profile.", subcommands: [Export.self])

    struct Export: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One line per profile: profile_id, identifiers (kind → normalised values), traits, stats.",
            discussion: "The output holds personal data in full: keep it where the data directory is kept.")
        @OptionGroup var data: DataOptions
        @OptionGroup var rules: RulesOption
        @Option(help: "ndjson or csv") var format: OutputFormat = .ndjson

        func run() throws {
            let store = try Projection.openStore(data.directory)
            let traitRules = try Projection.rules(rules, data.directory).traits
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            if format == .csv { Out.print(ProfileExportLine.csvHeader) }
            try Projection.reporting {
                try Engine.exportProfiles(from: store, traitRules: traitRules) { line in
                    if format == .csv {
                        Out.print(try line.csvCells(encoder: encoder).map(CSVCell.escape).joined(separator: ","))
                    } else {
                        Out.print(String(decoding: try encoder.encode(line), as: UTF8.self))
                    }
                }
            }
            Out.flush()
        }
    }
}
