import Foundation
import KithCore
import KithDirectory
import Testing

@testable import KithIngest

@Suite("Rules files")
struct RulesFileTests {
    @Test("The shipped rules example is exactly the standard rules")
    func exampleIsStandard() throws {
        #expect(try RulesFile.load(repositoryRoot + "/schemas/examples/rules.yaml") == Rules.standard)
    }

    @Test("Left-out fields keep the standard values; trait rules parse; bad values name the field")
    func partialAndErrors() throws {
        let scratch = Scratch()
        let path = scratch.write(
            "r.yaml",
            "shared_value_threshold: 4\ntraits:\n  city: most_frequent\n  name: {rule: source_priority, sources: [pos, tmall]}\n"
        )
        let rules = try RulesFile.load(path)
        #expect(rules.sharedValueThreshold == 4)
        #expect(rules.identifiers == Rules.standard.identifiers)
        #expect(rules.traits.rule(for: "city") == .mostFrequent)
        #expect(rules.traits.rule(for: "name") == .sourcePriority(["pos", "tmall"]))
        #expect(rules.traits.rule(for: "gender") == .mostRecent)
        let bad = scratch.write("b.yaml", "traits:\n  city: newest\n")
        #expect {
            _ = try RulesFile.load(bad)
        } throws: { "\($0)".contains("'newest' is not a trait rule") && "\($0)".contains("b.yaml") }
    }

    @Test("RFM and lifecycle rules load from the fixed-bins example; bad edges name the field")
    func rfmRules() throws {
        let rules = try RulesFile.load(repositoryRoot + "/schemas/examples/rules-fixed-rfm.yaml")
        #expect(
            rules.rfm.scores
                == .fixed(
                    .init(
                        recencyDays: [30, 90, 180, 365], frequency: [1, 2, 4, 8],
                        monetary: [10_000, 30_000, 80_000, 200_000])))
        #expect(rules.rfm.thresholds == .fixed(recencyDays: 90, frequency: 2, monetary: 50_000))
        #expect(
            rules.lifecycle
                == LifecycleRules(atRiskDays: 60, churnedDays: 365, loyalMinOrders: 6, loyalMaxRecencyDays: 45))
        #expect(rules.identifiers == Rules.standard.identifiers)
        // Only the projection-relevant part of the rules decides whether a store must be rebuilt.
        #expect(rules.projectionRules == Rules.standard.projectionRules)
        let scratch = Scratch()
        let bad = scratch.write(
            "b.yaml",
            "rfm:\n  scores: {recency_days: [30, 20, 180, 365], frequency: [1, 2, 4, 8], monetary: [\"1\", \"2\", \"3\", \"4\"]}\n"
        )
        #expect {
            _ = try RulesFile.load(bad)
        } throws: { "\($0)".contains("expected 4 strictly ascending bin edges") && "\($0)".contains("recency_days") }
        let badMoney = scratch.write(
            "m.yaml", "rfm:\n  thresholds: {recency_days: 9, frequency: 2, monetary: \"lots\"}\n")
        #expect {
            _ = try RulesFile.load(badMoney)
        } throws: { "\($0)".contains("'lots' is not an amount in CNY") }
    }
}
