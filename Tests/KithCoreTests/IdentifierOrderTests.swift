import KithGenerator
import Testing

@testable import KithCore

@Suite("Values sorted by identifier from packed keys")
struct IdentifierOrderTests {
    @Test(
        "Packed keys sort values as comparing their identifiers does: shared prefixes, long values, non-ASCII, custom kinds (property)"
    )
    func equalsComparingIdentifiers() {
        var rng = SplitMix64(seed: 4242)
        let kinds: [IdentifierKind] = [.phone, .email, .memberID, .deviceID, IdentifierKind(rawValue: "loyalty_card")]
        let letters = Array("0189az.@-_") + ["é"]
        var sawNonASCII = false
        var sawLong = false
        var sawLonger = false
        for round in 0..<300 {
            var graph = IdentityGraph()
            let alphabet = round % 4 == 3 ? letters : Array(letters.dropLast())
            func letter() -> Character { alphabet[rng.int(0..<alphabet.count)] }
            // Values grown from a few stems by a letter or two: many share their first 7, 15 or 23
            // bytes and differ just after, where the three packed words meet or end.
            let stems = (0..<4).map { _ in String((0..<rng.int(0..<28)).map { _ in letter() }) }
            for position in 0..<rng.int(1..<120) {
                var value = stems[rng.int(0..<stems.count)]
                for _ in 0..<rng.int(0..<3) { value.append(letter()) }
                sawNonASCII = sawNonASCII || !value.utf8.allSatisfy { $0 < 0x80 }
                sawLong = sawLong || value.utf8.count > 15
                sawLonger = sawLonger || value.utf8.count > 23
                graph.observe([Identifier(kinds[rng.int(0..<kinds.count)], value)], at: UInt64(position))
            }
            let rules = KindRules(.standard, kinds: graph.kinds)
            var nodes = (0..<IdentityGraph.Node(graph.nodeCount)).map { $0 }
            for i in nodes.indices.reversed() { nodes.swapAt(i, rng.int(0..<(i + 1))) }
            let fast = IdentifierOrder.sorted(nodes, in: graph, kinds: rules).map { nodes[Int($0)] }
            let slow = nodes.sorted { rules.identifier(of: $0, precedes: $1, in: graph) }
            #expect(fast == slow, "round \(round)")
        }
        #expect(sawNonASCII && sawLong && sawLonger)
    }
}
