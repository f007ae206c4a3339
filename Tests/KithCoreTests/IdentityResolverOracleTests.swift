import KithGenerator
import Testing

@testable import KithCore

@Suite("Identity resolution against the reference resolver")
struct IdentityResolverOracleTests {
    /// Everything a resolution decides, in the order it decides it.
    static func decisions(_ r: IdentityResolver.Resolution) -> [String] {
        r.components.map { "component \($0)" } + r.accepted.map { "accepted \($0.a)-\($0.b) \($0.evidence.count)" }
            + r.refused.map { "refused \($0.link.a)-\($0.link.b) \($0.rule)" }
            + r.excluded.map { "excluded \($0.node) \($0.standing)" }
    }

    @Test(
        "On random graphs with limits, shared and blocklisted values, whole and in closures, the result equals the reference (property)"
    )
    func equalsReference() {
        var rng = SplitMixForTests(seed: 29)
        var rules = Rules.standard
        rules.sharedValueThreshold = 3
        rules.blocklist = ["+8613800000000"]
        let resolver = IdentityResolver(rules: rules)
        var refusals = 0
        var exclusions = 0
        for round in 0..<60 {
            var g = IdentityGraph()
            let people = 5 + rng.next() % 60
            for i in 0..<(20 + rng.next() % 400) {
                let p = rng.next() % people
                var e: [Identifier] = []
                if rng.next() % 2 == 0 { e.append(member("M\(p + (rng.next() % 6 == 0 ? 1 : 0))")) }
                if rng.next() % 2 == 0 { e.append(Identifier(.phone, "+861380000\(1000 + (p + rng.next() % 3) % 40)")) }
                if rng.next() % 3 == 0 { e.append(email("u\(p % 17)@x.com")) }
                if rng.next() % 11 == 0 { e.append(Identifier(.phone, "+8613800000000")) }
                if rng.next() % 13 == 0 { e.append(Identifier(.deviceID, "shared-pad")) }
                if rng.next() % 4 == 0 { e.append(Identifier(.wechatOpenID, "o\(p)")) }
                if !e.isEmpty { g.observe(e, at: UInt64(i)) }
            }
            let all = (0..<IdentityGraph.Node(g.nodeCount)).map { $0 }
            let whole = resolver.resolve(all, in: g)
            #expect(Self.decisions(whole) == Self.decisions(resolver.referenceResolve(all, in: g)), "round \(round)")
            refusals += whole.refused.count
            exclusions += whole.excluded.count
            // A closure is a small subset: the resolver indexes it with a dictionary instead.
            let touched = [IdentityGraph.Node(rng.next() % UInt64(max(1, g.nodeCount)))]
            let closure = resolver.closure(of: touched, in: g)
            #expect(
                Self.decisions(resolver.resolve(closure, in: g))
                    == Self.decisions(resolver.referenceResolve(closure, in: g)), "round \(round), closure")
        }
        #expect(refusals > 0 && exclusions > 0, "the graphs should exercise limits and exclusions")
    }

    @Test("On random events the resolution equals a brute-force one worked out from the definition (oracle)")
    func equalsBruteForce() {
        var rng = SplitMix64.forTest("IdentityResolverOracleTests.equalsBruteForce")
        var rules = Rules.standard
        rules.evidence = EvidenceRules(names: false, limits: false)
        rules.neverLink = []
        rules.sharedValueThreshold = 3
        rules.blocklist = ["+8613800000000"]
        rules.identifiers["wechat_openid"]?.links = false
        let resolver = IdentityResolver(rules: rules)
        var seen = (components: 0, refused: 0, shared: 0, blocklisted: 0, notLinking: 0)
        for round in 0..<80 {
            var events: [[Identifier]] = []
            let people = Int.random(in: 3...40, using: &rng)
            for _ in 0..<Int.random(in: 5...160, using: &rng) {
                let p = Int.random(in: 0..<people, using: &rng)
                var e: [Identifier] = []
                if Bool.random(using: &rng) {
                    e.append(Identifier(.memberID, "M\(p + (Int.random(in: 0..<6, using: &rng) == 0 ? 1 : 0))"))
                }
                if Bool.random(using: &rng) {
                    e.append(Identifier(.phone, "+861380000\(1000 + (p + Int.random(in: 0..<3, using: &rng)) % 40)"))
                }
                if Int.random(in: 0..<3, using: &rng) == 0 { e.append(Identifier(.email, "u\(p % 17)@x.com")) }
                if Int.random(in: 0..<11, using: &rng) == 0 { e.append(Identifier(.phone, "+8613800000000")) }
                if Int.random(in: 0..<13, using: &rng) == 0 { e.append(Identifier(.deviceID, "shared-pad")) }
                if Int.random(in: 0..<4, using: &rng) == 0 { e.append(Identifier(.wechatOpenID, "o\(p)")) }
                if !e.isEmpty { events.append(e) }
            }
            var graph = IdentityGraph()
            for (position, e) in events.enumerated() { graph.observe(e, at: UInt64(position)) }
            let all = (0..<IdentityGraph.Node(graph.nodeCount)).map { $0 }
            let ours = BruteForceResolver.outcome(of: resolver.resolve(all, in: graph), in: graph)
            let expected = BruteForceResolver(rules: rules).resolve(events)
            #expect(ours == expected, "round \(round)")
            seen.components += expected.components.filter { $0.count > 1 }.count
            seen.refused += expected.refused.count
            seen.shared += expected.excluded.filter { $0.contains("shared") }.count
            seen.blocklisted += expected.excluded.filter { $0.contains("blocklisted") }.count
            seen.notLinking += expected.excluded.filter { $0.contains("kindDoesNotLink") }.count
        }
        #expect(
            seen.components > 0 && seen.refused > 0 && seen.shared > 0 && seen.blocklisted > 0 && seen.notLinking > 0,
            "\(seen)")
    }
}
