import Testing

@testable import KithCore

/// Builds a graph from events that may carry a customer's name (position = index).
func namedGraph(_ events: [(ids: [Identifier], name: String?)]) -> IdentityGraph {
    var g = IdentityGraph()
    for (i, e) in events.enumerated() { g.observe(e.ids, at: UInt64(i), name: e.name.flatMap(NameEvidence.hash(of:))) }
    return g
}

@Suite("Evidence guard")
struct EvidenceGuardTests {
    let shopMail = email("service.store7@163.com")

    @Test("A generic address typed by two customers of different names joins neither, in either arrival order")
    func differentNamesOnTheValue() {
        let events: [(ids: [Identifier], name: String?)] = [
            ([phone("13700000001"), shopMail], "张伟"), ([phone("13700000002"), shopMail], "李娜"),
            ([phone("13700000001"), email("zhang.wei@163.com")], nil),
        ]
        for order in [events, events.reversed()] {
            let g = namedGraph(order)
            let resolution = IdentityResolver(rules: .standard).resolveAll(g)
            #expect(profiles(g) == [[phone("13700000001"), email("zhang.wei@163.com")], [phone("13700000002")]])
            let standing = resolution.excluded.first { g.nodes[Int($0.node)].identifier == shopMail }?.standing
            #expect(standing == .contested(.differentNames))
        }
    }

    @Test(
        "A value seen with two phones whose events carry different names is contested; one person's spellings are not")
    func differentNamesOnPartners() {
        // The address itself carries no name (web sign-ups); the phones' own orders do.
        let a = phone("13700000001")
        let b = phone("13700000002")
        let signUps: [(ids: [Identifier], name: String?)] = [([a, shopMail], nil), ([b, shopMail], nil)]
        let strangers = signUps + [([a], "张伟"), ([b], "李娜")]
        for order in [strangers, strangers.reversed()] {
            let g = namedGraph(order)
            #expect(profiles(g) == [[a], [b]])
            let standing = IdentityResolver(rules: .standard).resolveAll(g).excluded.map(\.standing)
            #expect(standing == [.contested(.partnersWithDifferentNames(.phone))])
        }
        // One person with two phones, the name spelled two ways: one profile.
        let onePerson = signUps + [([a], "Li Wei"), ([b], "li.wei")]
        #expect(profiles(namedGraph(onePerson)) == [[a, b, shopMail]])
        // Names the guard cannot compare (a partner with none) are no evidence.
        #expect(profiles(namedGraph(signUps + [([a], "张伟")])) == [[a, b, shopMail]])
        // With the guard off the address joins the strangers.
        var rules = Rules.standard
        rules.evidence.names = false
        #expect(profiles(namedGraph(strangers), rules) == [[a, b, shopMail]])
    }

    @Test("A member card is not contested by its own phones' names, however their channels spell them")
    func strongValueNotDoubtedByWeakerPartners() {
        let card = member("M9")
        let a = phone("13700000001")
        let b = phone("13700000002")
        let events: [(ids: [Identifier], name: String?)] = [
            ([card, a], nil), ([card, b], nil), ([a], "李伟"), ([b], "Li Wei"),
        ]
        for order in [events, events.reversed()] {
            #expect(profiles(namedGraph(order)) == [[card, a, b]])
        }
        // The same two phones seen with an address (as strong as they are) contest it.
        let address = email("family.desk@163.com")
        let g = namedGraph([([address, a], nil), ([address, b], nil), ([a], "李伟"), ([b], "王芳")])
        #expect(profiles(g) == [[a], [b]])
    }

    @Test(
        "Names are compared between partners of one kind: an address seen with a phone and a card whose channels spell the name differently is not contested"
    )
    func namesAreComparedWithinAKind() {
        let address = email("li.family@163.com")
        let a = phone("13700000001")
        let card = member("M9")
        let events: [(ids: [Identifier], name: String?)] = [
            ([address, a], nil), ([address, card], nil), ([a], "李伟"), ([card], "Li Wei"),
        ]
        for order in [events, events.reversed()] {
            let g = namedGraph(order)
            #expect(profiles(g) == [[address, a, card]])
            #expect(IdentityResolver(rules: .standard).resolveAll(g).excluded.isEmpty)
        }
    }

    @Test("Contested values, limits and the shared guard give the same profiles in any arrival order (property)")
    func orderIndependence() {
        var rng = SplitMixForTests(seed: 0xE1_D3)
        let names = ["张伟", "李娜", "王芳", "刘洋", "陈静"]
        var contested = 0
        var refused = 0
        var shared = 0
        for round in 0..<60 {
            // A small world: people with a member card and phone, some typing a junk address
            // (named or not), some sharing a phone with a relative.
            var events: [(ids: [Identifier], name: String?)] = []
            for _ in 0..<50 {
                let p = Int(rng.next() % 20)
                var ids: [Identifier] = []
                if rng.next() % 2 == 0 { ids.append(member("M\(p + (rng.next() % 9 == 0 ? 1 : 0))")) }
                if rng.next() % 2 == 0 { ids.append(Identifier(.phone, "+861370000\(1000 + p % 15)")) }
                if rng.next() % 4 == 0 { ids.append(email("shop\(p % 3).desk@163.com")) }
                if rng.next() % 3 == 0 { ids.append(email("u\(p).m@x.com")) }
                if rng.next() % 12 == 0 { ids.append(Identifier(.phone, "+8613911112000")) }
                let name = rng.next() % 3 == 0 ? names[p % names.count] : nil
                if !ids.isEmpty { events.append((ids, name)) }
            }
            var rules = Rules.standard
            rules.sharedValueThreshold = 5
            let g = namedGraph(events)
            let resolution = IdentityResolver(rules: rules).resolveAll(g)
            for x in resolution.excluded {
                if case .contested = x.standing { contested += 1 }
                if case .shared = x.standing { shared += 1 }
            }
            refused += resolution.refused.count
            let expected = profiles(g, rules)
            for _ in 0..<3 {
                let shuffled = events.shuffled(using: &rng)
                #expect(profiles(namedGraph(shuffled), rules) == expected, "round \(round)")
            }
        }
        // The generator must really exercise each guard.
        #expect(contested > 20, "contested \(contested)")
        #expect(refused > 5, "refused \(refused)")
        #expect(shared > 5, "shared \(shared)")
    }

    @Test("A pattern match links nothing, and its standing names the rule")
    func patternStanding() {
        let junk = email("noreply@example.com")
        let g = graph([[phone("13700000001"), junk], [phone("13700000002"), junk]])
        let resolution = IdentityResolver(rules: .standard).resolveAll(g)
        #expect(profiles(g) == [[phone("13700000001")], [phone("13700000002")]])
        #expect(resolution.excluded.map(\.standing.code) == ["never_link: reserved_domain"])
    }
}
