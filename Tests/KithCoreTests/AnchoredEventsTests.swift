import Testing

@testable import KithCore

@Suite("A rebuild's anchored events")
struct AnchoredEventsTests {
    /// A random event of every shape the statistics read: amounts in two currencies, scores,
    /// traits (empty and `null` values among them), sub-second times and several offsets.
    static func randomEvent(at position: UInt64, _ rng: inout SplitMixForTests) -> ProjectedEvent {
        let shapes: [(EventType, String)] = [
            (.transaction, "order_completed"), (.transaction, "refund"), (.feedback, "nps"), (.feedback, "rating"),
            (.feedback, "review"), (.feedback, "complaint"), (.behaviour, "page_view"), (.interaction, "message"),
        ]
        let (type, name) = shapes[Int(rng.next() % UInt64(shapes.count))]
        let sources = ["pos", "app", "tmall", "survey"]
        var traits: [(key: String, value: String)] = []
        for _ in 0..<Int(rng.next() % 3) {
            let key = ["city", "name", "gender"][Int(rng.next() % 3)]
            traits.append((key, ["上海", "北京", "", "null", "F", "李伟"][Int(rng.next() % 6)]))
        }
        let amount =
            type == .transaction && rng.next() % 4 != 0
            ? Money(minorUnits: Int64(rng.next() % 50_000), currency: rng.next() % 5 == 0 ? "USD" : "CNY") : nil
        return ProjectedEvent(
            position: position, eventID: "e\(position)", source: sources[Int(rng.next() % 4)], type: type, name: name,
            occurredAt: Timestamp(
                epochSeconds: Int64(rng.next() % 1_000), nanoseconds: Int32(rng.next() % 3) * 500_000_000,
                offsetMinutes: [0, 480, -300][Int(rng.next() % 3)]),
            identifiers: [], traits: traits, amount: amount,
            score: type == .feedback && rng.next() % 3 != 0 ? Int(rng.next() % 11) : nil)
    }

    @Test("Each value's statistics and timeline equal folding its events one by one, in log order (property)")
    func foldsAsEventsWould() {
        var rng = SplitMixForTests(seed: 11)
        for round in 0..<40 {
            var anchored = AnchoredEvents()
            var expected: [IdentityGraph.Node: (stats: NodeStats, timeline: [UInt8])] = [:]
            let values = 1 + Int(rng.next() % 30)
            for position in 0..<UInt64(rng.next() % 400) {
                let e = Self.randomEvent(at: position * 3 + 1, &rng)
                let anchor = IdentityGraph.Node(rng.next() % UInt64(values))
                anchored.add(e, anchoredAt: anchor)
                expected[anchor, default: (NodeStats(), [])].stats.add(e)
                TimelineIndex.append(e, to: &expected[anchor, default: (NodeStats(), [])].timeline)
            }
            var seen: [IdentityGraph.Node] = []
            anchored.forEachValue { node, stats, timeline in
                seen.append(node)
                #expect(stats == expected[node]?.stats, "round \(round), value \(node)")
                #expect(timeline == expected[node]?.timeline, "round \(round), value \(node)")
                // The stored form too: equal stats could still encode differently if their maps' order differed.
                #expect(stats.binaryEncoded() == expected[node]?.stats.binaryEncoded())
            }
            #expect(seen == expected.keys.sorted(), "every value with events once, in node order")
            #expect(anchored.count == 0, "the events are dropped once folded")
        }
    }

    @Test("No events, no values")
    func empty() {
        var anchored = AnchoredEvents()
        var calls = 0
        anchored.forEachValue { _, _, _ in calls += 1 }
        #expect(calls == 0 && anchored.count == 0)
    }
}
