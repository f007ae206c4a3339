import Foundation
import KithCore
import KithGenerator
import KithLog
import Testing

@testable import KithProjections

/// The bar for junk identifiers at small scale, where no volume guard can see them: a
/// shop of 2,000 people, 2 % of whom typed a generic address that 1 to 6 strangers typed too.
@Suite("Junk traps at small scale")
struct JunkTrapQualityTests {
    struct TruthLine: Decodable { var identifiers: [String: [String]] }
    struct JunkLine: Decodable {
        var value: String
        var trap: String
        var persons: [String]
    }

    @Test(
        "2,000 people with junk traps: precision ≥ 0.9995, recall ≥ 0.995, no profile mixes two people, no junk value linked"
    )
    func smallShop() async throws {
        let scratch = Scratch()
        let (exports, data) = try await ingestGenerated(persons: 2_000, seed: 14, in: scratch)
        let store = try SQLiteProjectionStore(path: data.projections)
        // Projected in increments, as nightly ingests would: the guards must hold across batches too.
        _ = try Projector(store: store, rules: .standard).catchUp(
            with: try EventLogReader(directory: data.log), batchSize: 3_000)
        let clusters = try store.clusters()

        let truth = try String(contentsOfFile: exports + "/truth/persons.ndjson", encoding: .utf8)
            .split(separator: "\n").map { line in
                try JSONDecoder().decode(TruthLine.self, from: Data(line.utf8)).identifiers.flatMap { kind, values in
                    values.map { Identifier(IdentifierKind(rawValue: kind), $0) }
                }
            }
        let junk = try JSONDecoder().decode(
            [JunkLine].self, from: Data(contentsOf: URL(fileURLWithPath: exports + "/truth/junk.json")))
        // The traps are there, of both classes, each shared by 2 to 7 people.
        #expect(junk.filter { $0.trap == "pattern" }.count >= 4)
        #expect(junk.filter { $0.trap == "evidence" }.count >= 2)
        #expect(junk.allSatisfy { (2...7).contains($0.persons.count) })

        let score = PairwiseScore(predicted: clusters, truth: truth)
        #expect(score.precision >= 0.9995, "precision \(score.precision)")
        #expect(score.recall >= 0.995, "recall \(score.recall)")
        #expect(score.mixedProfiles == 0)
        let linked = Set(clusters.joined())
        let junkLinked = junk.filter { linked.contains(Identifier(.email, $0.value)) }.map(\.value)
        #expect(junkLinked.isEmpty, "junk values in a profile: \(junkLinked)")
        // Each trap is stopped by what its class says: a pattern, or the evidence.
        for trap in junk {
            let note = try store.resolve("email:" + trap.value)?.note ?? ""
            #expect(note.contains(trap.trap == "pattern" ? "never_link" : "contested"), "\(trap.trap) trap: \(note)")
        }
        // The review queue lists every evidence trap.
        let suspects = try store.suspects(limit: 1_000, rules: .standard).map(\.value)
        for trap in junk where trap.trap == "evidence" { #expect(suspects.contains(trap.value)) }
    }
}
