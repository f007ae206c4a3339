import KithGenerator
import Testing

@testable import KithCore

/// The identity graph's two hash tables against `Dictionary` (oracle, property): what they hold
/// after any sequence of changes, across every growth, whatever keys collide.
@Suite("The identity graph's tables")
struct GraphTablesTests {
    @Test(
        "Under random observations and restorations the edge table equals a Dictionary, and lists its edges in key order"
    )
    func edgeTableBehavesLikeADictionary() {
        var rng = SplitMix64(seed: 17)
        for round in 0..<40 {
            var table = EdgeTable()
            var oracle: [UInt64: IdentityGraph.EdgeInfo] = [:]
            // Few nodes make many repeats; many make the table grow past several sizes.
            let nodes = Int32(rng.int(2..<(round.isMultiple(of: 2) ? 30 : 3_000)))
            for _ in 0..<rng.int(0..<6_000) {
                let a = Int32(rng.int(0..<Int(nodes)))
                var b = Int32(rng.int(0..<Int(nodes)))
                if a == b { b = (b + 1) % nodes }
                let key = IdentityGraph.key(a, b)
                let position = UInt64(rng.int(0..<1_000_000))
                if rng.chance(0.8) {
                    let isNew = oracle[key] == nil
                    #expect(table.observe(key, at: position) == isNew)
                    var e = oracle[key] ?? IdentityGraph.EdgeInfo(count: 0, firstEvidence: .max)
                    e.count += 1
                    e.firstEvidence = min(e.firstEvidence, position)
                    oracle[key] = e
                } else {
                    let info = IdentityGraph.EdgeInfo(count: rng.int(1..<9), firstEvidence: position)
                    #expect(table.insertIfAbsent(key, info) == (oracle[key] == nil))
                    if oracle[key] == nil { oracle[key] = info }
                }
                let probe = IdentityGraph.key(Int32(rng.int(0..<Int(nodes))), Int32(rng.int(0..<Int(nodes))))
                #expect(table[probe] == oracle[probe])
            }
            #expect(table.count == oracle.count)
            let listed = table.sorted()
            #expect(listed.map(\.key) == oracle.keys.sorted())
            #expect(listed.allSatisfy { oracle[$0.key] == $0.value })
        }
    }

    @Test(
        "Under random inserts, replacements and inserts of the absent the identifier table equals a Dictionary keyed by bytes: long, short, empty and non-ASCII values, one value under several kinds"
    )
    func identifierTableBehavesLikeADictionaryOfBytes() {
        var rng = SplitMix64(seed: 23)
        let kinds: [IdentifierKind] = [.phone, .email, .memberID, IdentifierKind(rawValue: "loyalty_card")]
        let stems = ["", "7", "+8613800138000", "li.wei@example.com", "M-1", "é", "e\u{301}", "K", "\u{212A}", "李伟"]
        func value() -> String {
            let stem = rng.pick(stems)
            return rng.chance(0.5) ? stem : stem + String(rng.int(0..<5_000))
        }
        for _ in 0..<30 {
            var table = IdentifierTable()
            var oracle: [[UInt8]: IdentityGraph.Node] = [:]
            func bytes(_ id: Identifier) -> [UInt8] { Array(id.kind.rawValue.utf8) + [0] + Array(id.value.utf8) }
            for n in 0..<rng.int(0..<8_000) {
                let id = Identifier(rng.pick(kinds), value())
                let node = IdentityGraph.Node(n)
                if rng.chance(0.5) {
                    table.insert(id, as: node)
                    oracle[bytes(id)] = node
                } else {
                    // Known: its node, nothing changed; new: recorded, nil.
                    #expect(table.insertIfAbsent(id, as: node) == oracle[bytes(id)])
                    if oracle[bytes(id)] == nil { oracle[bytes(id)] = node }
                }
                let probe = Identifier(rng.pick(kinds), value())
                #expect(table[probe] == oracle[bytes(probe)], "\(probe)")
            }
            #expect(table.count == oracle.count)
        }
    }

    @Test(
        "Under random loads, changes and reads the stored values of a node column equal a Dictionary, across growths, with the placeholder for what was never loaded"
    )
    func storedValuesBehaveLikeADictionary() {
        var rng = SplitMix64(seed: 29)
        for round in 0..<30 {
            let storedCount = rng.int(1..<(round.isMultiple(of: 3) ? 40 : 20_000))
            var column = NodeColumn(storedCount: storedCount, placeholder: -1)
            var oracle: [Int: Int] = [:]
            for step in 0..<rng.int(0..<5_000) {
                let node = rng.int(0..<storedCount)
                switch rng.int(0..<3) {
                case 0:
                    column[node] = step
                    oracle[node] = step
                case 1:
                    column.modify(node) { $0 += 2 }
                    oracle[node] = (oracle[node] ?? -1) + 2
                default:
                    #expect(column[node] == oracle[node] ?? -1)
                }
            }
            #expect((0..<storedCount).allSatisfy { column[$0] == oracle[$0] ?? -1 })
            // New values after the stored ones still go to the dense part.
            column.append(7)
            #expect(column[storedCount] == 7 && column.count == storedCount + 1)
        }
    }

    @Test("Two spellings of one letter are two values in a graph, as they are two rows in the store")
    func canonicallyEquivalentSpellingsAreDistinctValues() {
        var graph = IdentityGraph()
        let kind = IdentifierKind(rawValue: "loyalty_card")
        let composed = Identifier(kind, "caf\u{E9}")
        let decomposed = Identifier(kind, "cafe\u{301}")
        #expect(composed == decomposed, "Swift strings compare by canonical equivalence")
        let nodes = graph.observe([composed, decomposed], at: 0)
        #expect(nodes.count == 2 && graph.nodeCount == 2)
        #expect(graph.node(composed) == nodes[0] && graph.node(decomposed) == nodes[1])
        #expect(graph.edge(nodes[0], nodes[1])?.count == 1)
    }
}
