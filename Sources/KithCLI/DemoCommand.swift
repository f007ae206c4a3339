import ArgumentParser
import Foundation
import KithCore
import KithDirectory
import KithEngine
import KithGenerator
import KithIngest

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Generate sample exports, ingest them into a fresh data directory, and check the counts.")

    @Option(help: "Number of people to generate.") var persons = 2_000
    @Option(help: "Random seed.") var seed: UInt64 = 7
    @Option(help: "Working directory (exports/ and data/ go inside; it is replaced).") var dir = "kith-demo"

    func run() async throws {
        try? FileManager.default.removeItem(atPath: dir)
        let exports = dir + "/exports"
        let expected = try Generator(persons: persons, seed: seed).write(to: exports)
        Out.print("1. generated \(expected.records.grouped) records for \(persons.grouped) persons in \(exports)/\n")
        let files = expected.files.map { exports + "/" + $0 }
        Out.print("2. kith ingest --data \(dir)/data \(exports)/*.ndjson \(exports)/*.csv\n")
        Out.flush()
        var options = Engine.Ingest(rules: .standard)
        let (summary, projection) = try await IngestCommand.ingest(
            files.map(IngestInput.file), into: DataDirectory(dir + "/data"), options: &options,
            progress: Out.stderrIsTerminal)
        Out.print(IngestCommand.render(summary))
        if let projection { Out.print(Projection.render(projection)) }
        Out.print("\n3. kith log stats --data \(dir)/data\n")
        Out.print(LogCommand.render(try Projection.engine(DataDirectory(dir + "/data")).logStatistics()))
        Out.print("\n4. ground truth check")
        let matches =
            summary.accepted == expected.accepted && summary.duplicates == expected.duplicates
            && summary.quarantined == expected.quarantined && summary.skipped == expected.skipped
        Out.print(
            "   expected accepted \(expected.accepted.grouped), duplicates \(expected.duplicates.grouped), "
                + "quarantined \(expected.quarantined.grouped), skipped \(expected.skipped.grouped): "
                + (matches ? "✓ matches" : "✗ DIFFERS"))
        let store = try Projection.openStore(DataDirectory(dir + "/data"))
        let truthText = try String(contentsOfFile: exports + "/truth/persons.ndjson", encoding: .utf8)
        let truth = try truthText.split(separator: "\n").map { line in
            try JSONDecoder().decode(IdentityCommand.Score.Person.self, from: Data(line.utf8)).identifiers
                .flatMap { kind, values in values.map { Identifier(IdentifierKind(rawValue: kind), $0) } }
        }
        let clusters = try Engine.clusters(in: store)
        let score = PairwiseScore(predicted: clusters, truth: truth)
        let stats = try Engine.identityStats(in: store)
        Out.print("\n5. unified profiles")
        Out.print(
            String(
                format:
                    "   %@ profiles for %@ people; pairwise precision %.4f, recall %.4f against the ground truth; %d shared values caught",
                stats.profiles.grouped, persons.grouped, score.precision, score.recall, stats.sharedValues))
        let junk = try IdentityCommand.Score.linked(junkIn: exports + "/truth/junk.json", clusters: clusters)
        Out.print(
            "   junk addresses typed by several strangers: \(junk.known), of which in a profile: \(junk.linked) "
                + "(\(stats.neverLinkValues) values match a never-link pattern, \(stats.contestedValues) contested by evidence; "
                + "profiles mixing two people: \(score.mixedProfiles))")
        Out.print("   review them: kith identity suspects --data \(dir)/data")
        if let sample = clusters.first?.first {
            Out.print("   try: kith profile get --data \(dir)/data \(sample.kind.rawValue):\(sample.value)")
        }
        do {
            let view = try Engine.rfmView(of: store)
            Out.print("\n6. kith rfm --data \(dir)/data --lang en\n")
            Out.print(RFMCommand.render(view, lang: .en))
        } catch let error as EngineError where error.code == .noRFMView {
            // Nothing scored yet: the demo has no RFM step to show.
        }
        Out.print(
            "\nNext: kith lifecycle --data \(dir)/data   ·   kith replay --data \(dir)/data --rules schemas/examples/rules-fixed-rfm.yaml --dry-run"
                + "   ·   kith profiles export --data \(dir)/data | head"
                + "\nServe it: kith keys create --data \(dir)/data --name me --scopes profiles:read,pii:read   "
                + "then kith serve --data \(dir)/data   and open http://127.0.0.1:8080/ (paste the key)")
        Out.flush()
        if !matches { throw ExitCode(1) }
    }
}
