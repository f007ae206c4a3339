import Foundation
import KithCore
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
            "shared_value_threshold: 4\ntraits:\n  city: most_frequent\n  name: {rule: source_priority, sources: [pos, tmall]}\n")
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
}
