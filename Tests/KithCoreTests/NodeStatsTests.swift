import Testing

@testable import KithCore

@Suite("Node statistics")
struct NodeStatsTests {
    static func event(_ type: EventType, _ name: String, _ at: Int64, amount: Int64? = nil, score: Int? = nil, traits: [(String, String)] = [], source: String = "pos") -> ProjectedEvent {
        ProjectedEvent(
            position: UInt64(max(0, at)), eventID: "e\(at)", source: source, type: type, name: name,
            occurredAt: Timestamp(epochSeconds: at, offsetMinutes: 480), identifiers: [], traits: traits.map { ($0.0, $0.1) },
            amount: amount.map { Money(minorUnits: $0, currency: "CNY") }, score: score)
    }

    @Test("Binary encoding round-trips and is deterministic")
    func binaryRoundTrip() throws {
        var s = NodeStats()
        s.add(Self.event(.transaction, "order_completed", 100, amount: 15_800, traits: [("name", "李伟"), ("city", "上海")]))
        s.add(Self.event(.transaction, "refund", 200, amount: 800))
        s.add(Self.event(.feedback, "nps", 300, score: 9, source: "survey"))
        s.add(Self.event(.feedback, "rating", 400, score: 4, source: "service"))
        s.add(Self.event(.behaviour, "page_view", -50, traits: [("city", "北京")], source: "web"))
        let bytes = s.binaryEncoded()
        #expect(NodeStats(binary: bytes) == s)
        #expect(NodeStats(binary: bytes)?.binaryEncoded() == bytes)
        #expect(NodeStats(binary: Array(bytes.dropLast())) == nil)
        #expect(NodeStats(binary: [9] + bytes.dropFirst()) == nil)
    }

    @Test("Folding per-value stats gives the same totals in any order (property)")
    func mergeIsOrderIndependent() {
        var rng = SplitMixForTests(seed: 3)
        for _ in 0..<50 {
            var parts: [NodeStats] = []
            for _ in 0..<5 {
                var s = NodeStats()
                for _ in 0..<Int(rng.next() % 6) {
                    let at = Int64(rng.next() % 1000)
                    switch rng.next() % 3 {
                    case 0: s.add(Self.event(.transaction, "order_completed", at, amount: Int64(rng.next() % 10_000)))
                    case 1: s.add(Self.event(.feedback, "nps", at, score: Int(rng.next() % 11)))
                    default: s.add(Self.event(.behaviour, "app_open", at, traits: [("city", ["上海", "北京"][Int(rng.next() % 2)])]))
                    }
                }
                parts.append(s)
            }
            var a = NodeStats()
            for p in parts { a.merge(p) }
            var b = NodeStats()
            for p in parts.shuffled(using: &rng) { b.merge(p) }
            #expect(a.events == b.events && a.spend == b.spend && a.npsSum == b.npsSum && a.latestNPS == b.latestNPS)
            #expect(a.lastOrder == b.lastOrder && a.firstSeen == b.firstSeen)
            let rules = TraitRules()
            #expect(rules.resolve("city", a.traits["city"] ?? []) == rules.resolve("city", b.traits["city"] ?? []))
        }
    }
}
