import ArgumentParser
import Foundation
import KithCore
import KithEngine
import KithProjections

struct IdentityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "identity", abstract: "Identity resolution figures.",
        subcommands: [Stats.self, Score.self, Suspects.self])

    struct Stats: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Profiles, identifier values, merges, splits, refused links by rule, shared values, largest profile.")
        @OptionGroup var data: DataOptions
        @Option(help: "table or json") var format: OutputFormat = .table

        func run() throws {
            let store = try Projection.openStore(data.directory)
            let s = try Projection.reporting { try Engine.identityStats(in: store) }
            if format == .json {
                try Out.json(s)
            } else {
                Out.print(
                    """
                    profiles            \(s.profiles.grouped)
                    identifier values   \(s.identifierValues.grouped) (\(s.linkedValues.grouped) in profiles)
                    merges              \(s.merges.grouped)
                    splits              \(s.splits.grouped)
                    refused links       \(s.refusedLinksByRule.isEmpty ? "0" : s.refusedLinksByRule.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", "))
                    shared values       \(s.sharedValues.grouped)
                    blocklisted values  \(s.blocklistedValues.grouped)
                    never-link values   \(s.neverLinkValues.grouped) (matching a pattern)
                    contested values    \(s.contestedValues.grouped) (stopped by evidence)
                    largest profile     \(s.largestProfile ?? "-") (\(s.largestProfileValues) values)
                    projected up to     log position \(s.checkpoint)
                    """)
            }
            Out.flush()
        }
    }

    struct Score: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pairwise precision, recall and F1 of the profiles against a ground truth.",
            discussion:
                "The truth is NDJSON with one person per line: {\"identifiers\": {kind: [normalised values]}} (the generator's truth/persons.ndjson)."
        )
        @OptionGroup var data: DataOptions
        @Option(help: "Ground truth file.") var truth: String
        @Option(help: "Junk values that belong to nobody (the generator's truth/junk.json): counts those in a profile.")
        var junk: String?
        @Option(help: "table or json") var format: OutputFormat = .table

        struct Person: Decodable { var identifiers: [String: [String]] }

        func run() throws {
            guard let text = try? String(contentsOfFile: truth, encoding: .utf8) else {
                Out.note("error: cannot read \(truth)")
                throw ExitCode(2)
            }
            var people: [[Identifier]] = []
            for (n, line) in text.split(separator: "\n").enumerated() {
                do {
                    let p = try JSONDecoder().decode(Person.self, from: Data(line.utf8))
                    people.append(
                        p.identifiers.flatMap { k, vs in vs.map { Identifier(IdentifierKind(rawValue: k), $0) } })
                } catch {
                    Out.note("error: \(truth) line \(n + 1): expected {\"identifiers\": {kind: [values]}}")
                    throw ExitCode(2)
                }
            }
            let store = try Projection.openStore(data.directory)
            let clusters = try Projection.reporting { try Engine.clusters(in: store) }
            let score = PairwiseScore(predicted: clusters, truth: people)
            let junkLinked = try junk.map { try Score.linked(junkIn: $0, clusters: clusters) }
            if format == .json {
                try Out.json(Report(score: score, junkLinked: junkLinked))
            } else {
                Out.print(
                    String(
                        format: "precision %.5f  recall %.5f  F1 %.5f  (%@ true pairs, %@ predicted, %@ correct)",
                        score.precision, score.recall, score.f1, score.truthPairs.grouped, score.predictedPairs.grouped,
                        score.truePositives.grouped))
                Out.print(
                    "profiles mixing two or more people: \(score.mixedProfiles.grouped)"
                        + (junkLinked.map { "; junk values in a profile: \($0.linked.grouped) of \($0.known.grouped)" }
                            ?? ""))
            }
            Out.flush()
        }
    }
}

extension IdentityCommand.Score {
    struct JunkCount: Encodable {
        var known: Int
        var linked: Int
    }

    struct Report: Encodable {
        var score: PairwiseScore
        var junkLinked: JunkCount?

        func encode(to encoder: any Encoder) throws {
            try score.encode(to: encoder)
            var c = encoder.container(keyedBy: Key.self)
            if let junkLinked {
                try c.encode(junkLinked.known, forKey: .junkValues)
                try c.encode(junkLinked.linked, forKey: .junkLinked)
            }
        }

        enum Key: String, CodingKey {
            case junkValues = "junk_values"
            case junkLinked = "junk_linked"
        }
    }

    struct JunkValue: Decodable {
        var kind: String
        var value: String
    }

    /// How many of the junk values (`[{kind, value, …}]`) sit in a profile: each is a link
    /// between strangers that nothing stopped.
    static func linked(junkIn path: String, clusters: [[Identifier]]) throws -> JunkCount {
        guard let data = FileManager.default.contents(atPath: path),
            let values = try? JSONDecoder().decode([JunkValue].self, from: data)
        else {
            Out.note(
                "error: \(path): expected a JSON array of {\"kind\": …, \"value\": …} (the generator's truth/junk.json)"
            )
            throw ExitCode(2)
        }
        let linked = Set(clusters.joined())
        let junk = Set(values.map { Identifier(IdentifierKind(rawValue: $0.kind), $0.value) })
        return JunkCount(known: junk.count, linked: junk.filter(linked.contains).count)
    }
}
