import Testing

@testable import KithCore

@Suite("Node statistics")
struct NodeStatsTests {
    static func event(
        _ type: EventType, _ name: String, _ at: Int64, amount: Int64? = nil, score: Int? = nil,
        traits: [(String, String)] = [], source: String = "pos"
    ) -> ProjectedEvent {
        ProjectedEvent(
            position: UInt64(max(0, at)), eventID: "e\(at)", source: source, type: type, name: name,
            occurredAt: Timestamp(epochSeconds: at, offsetMinutes: 480), identifiers: [],
            traits: traits.map { ($0.0, $0.1) },
            amount: amount.map { Money(minorUnits: $0, currency: "CNY") }, score: score)
    }

    @Test("Binary encoding round-trips and is deterministic")
    func binaryRoundTrip() throws {
        var s = NodeStats()
        s.add(
            Self.event(.transaction, "order_completed", 100, amount: 15_800, traits: [("name", "李伟"), ("city", "上海")]))
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
        var sawRefunds = false
        var sawRatings = false
        var sawComplaints = false
        for _ in 0..<50 {
            var parts: [NodeStats] = []
            for _ in 0..<5 {
                var s = NodeStats()
                for _ in 0..<Int(rng.next() % 6) {
                    let at = Int64(rng.next() % 1000)
                    switch rng.next() % 6 {
                    case 0: s.add(Self.event(.transaction, "order_completed", at, amount: Int64(rng.next() % 10_000)))
                    case 1: s.add(Self.event(.feedback, "nps", at, score: Int(rng.next() % 11)))
                    case 2: s.add(Self.event(.transaction, "refund", at, amount: Int64(rng.next() % 2_000)))
                    case 3:
                        s.add(Self.event(.feedback, "rating", at, score: Int(rng.next() % 5) + 1, source: "service"))
                    case 4: s.add(Self.event(.feedback, "complaint", at, source: "service"))
                    default:
                        s.add(
                            Self.event(
                                .behaviour, "app_open", at, traits: [("city", ["上海", "北京"][Int(rng.next() % 2)])],
                                source: "app"))
                    }
                }
                parts.append(s)
            }
            var a = NodeStats()
            for p in parts { a.merge(p) }
            var b = NodeStats()
            for p in parts.shuffled(using: &rng) { b.merge(p) }
            // Every field, not a few: trait observations compared as sets (their order is not a
            // total; what a trait resolves to is checked below).
            func sortedTraits(_ s: NodeStats) -> NodeStats {
                var s = s
                for (k, v) in s.traits {
                    s.traits[k] = v.sorted {
                        ($0.value, $0.source, $0.at.epochSeconds) < ($1.value, $1.source, $1.at.epochSeconds)
                    }
                }
                return s
            }
            #expect(sortedTraits(a) == sortedTraits(b))
            let rules = TraitRules()
            #expect(rules.resolve("city", a.traits["city"] ?? []) == rules.resolve("city", b.traits["city"] ?? []))
            sawRefunds = sawRefunds || a.refunds > 0
            sawRatings = sawRatings || a.latestRating != nil
            sawComplaints = sawComplaints || a.complaints > 0
        }
        #expect(sawRefunds && sawRatings && sawComplaints, "the generator should make refunds, ratings and complaints")
    }
}
