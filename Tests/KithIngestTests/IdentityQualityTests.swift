import Foundation
import KithCore
import KithGenerator
import KithLog
import Testing

@testable import KithIngest

@Suite("Identity quality on generated data")
struct IdentityQualityTests {
    @Test(
        "Default rules resolve the generator's people with precision ≥ 0.999 and recall ≥ 0.99; no placeholder links two people"
    )
    func qualityAgainstTruth() async throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 3_000, seed: 21).write(to: exports)
        _ = try await ingest(generated.files.map { exports + "/" + $0 }, into: scratch.data)

        // Given the graph of every landed event's identifiers
        var graph = IdentityGraph()
        var scratchParser = EventLineParser.Scratch()
        let parser = EventLineParser()
        var sink: [UInt8] = []
        try EventLogReader(directory: scratch.data.log).forEachLine { position, line in
            sink.removeAll(keepingCapacity: true)
            _ = try parser.parse(line, appendingTo: &sink, scratch: &scratchParser).get()
            graph.observe(scratchParser.normalizedIdentifiers, at: position)
            return true
        }
        // When it is resolved with the default rules
        let resolution = IdentityResolver(rules: .standard).resolveAll(graph)
        let predicted = resolution.components.map { $0.map { graph.nodes[Int($0)].identifier } }

        // Then it agrees with who really owns which value
        struct TruthLine: Decodable { var identifiers: [String: [String]] }
        let truth = try String(contentsOfFile: exports + "/truth/persons.ndjson", encoding: .utf8)
            .split(separator: "\n").map { line in
                try JSONDecoder().decode(TruthLine.self, from: Data(line.utf8)).identifiers.flatMap { kind, values in
                    values.map { Identifier(IdentifierKind(rawValue: kind), $0) }
                }
            }
        let score = PairwiseScore(predicted: predicted, truth: truth)
        if ProcessInfo.processInfo.environment["KITH_DEBUG_IDENTITY"] != nil {
            print("SHARED", resolution.excluded.map { "\(graph.nodes[Int($0.node)].identifier.value) \($0.standing)" })
            print("SCORE precision \(score.precision) recall \(score.recall) f1 \(score.f1) pairs \(score.truthPairs)")
            var clusterOf: [Identifier: Int] = [:]
            for (i, c) in predicted.enumerated() { for v in c { clusterOf[v] = i } }
            var shown = 0
            for person in truth {
                let observed = person.filter { clusterOf[$0] != nil || graph.node($0) != nil }
                let clusters = Set(observed.compactMap { clusterOf[$0] })
                if clusters.count > 1 || observed.contains(where: { clusterOf[$0] == nil }), shown < 8 {
                    shown += 1
                    print(
                        "SPLIT",
                        observed.map {
                            "\($0.kind.rawValue)=\(clusterOf[$0].map(String.init) ?? "none")/\(graph.node($0).map { "\(IdentityResolver(rules: .standard).standing(of: $0, in: graph))" } ?? "-")"
                        })
                }
            }
        }
        #expect(score.truthPairs > 10_000)
        #expect(score.precision >= 0.999, "precision \(score.precision)")
        #expect(score.recall >= 0.99, "recall \(score.recall)")
        // No placeholder or store phone links two people…
        let placeholders = try JSONDecoder().decode(
            [String].self, from: Data(contentsOf: URL(fileURLWithPath: exports + "/truth/placeholders.json")))
        #expect(placeholders.count == 8)
        var personOf: [Identifier: Int] = [:]
        for (i, person) in truth.enumerated() { for v in person { personOf[v] = i } }
        for placeholder in placeholders {
            for profile in predicted where profile.contains(Identifier(.phone, placeholder)) {
                #expect(Set(profile.compactMap { personOf[$0] }).count <= 1, "\(placeholder) links two people")
            }
        }
        // … and at this scale the store landlines (on no blocklist) are caught by the shared-value guard.
        let shared = resolution.excluded.filter {
            if case .shared = $0.standing { return true } else { return false }
        }
        let storePhones = Set(placeholders).subtracting(["+8613800000000", "+8613888888888"])
        let caught = Set(shared.map { graph.nodes[Int($0.node)].identifier.value }).intersection(storePhones)
        #expect(caught.count >= 4, "store phones caught as shared: \(caught.sorted())")
    }
}
