@testable import KithCore

/// Profiles worked out from the README's definition, straight from the events, by brute force:
/// no identity graph, no union–find, no production standing. It covers the rules without the
/// evidence guard and never-link patterns (those have their own tests): kinds that do not link,
/// the blocklist, shared values (more than K distinct partners of other linking kinds), and
/// limits, with links taken strongest first in the canonical order.
struct BruteForceResolver {
    struct Outcome: Equatable {
        /// Each profile's values, earliest seen first; profiles by their earliest value.
        var components: [[String]] = []
        /// Links in the order they were accepted, as "a — b" (a < b).
        var accepted: [String] = []
        /// Refused links with the rule, in order.
        var refused: [String] = []
        /// Excluded values with their standing code, sorted.
        var excluded: [String] = []
    }

    let rules: Rules

    /// A value in full (`Identifier.description` masks it).
    static func text(_ v: Identifier) -> String { "\(v.kind.rawValue):\(v.value)" }

    /// The production resolver's result in the same terms.
    static func outcome(of r: IdentityResolver.Resolution, in graph: IdentityGraph) -> Outcome {
        func id(_ n: IdentityGraph.Node) -> Identifier { graph.nodes[Int(n)].identifier }
        func pair(_ l: IdentityResolver.Link) -> String {
            let (a, b) = (id(l.a), id(l.b))
            return a < b ? "\(text(a)) — \(text(b))" : "\(text(b)) — \(text(a))"
        }
        return Outcome(
            components: r.components.map { $0.map { text(id($0)) } }, accepted: r.accepted.map(pair),
            refused: r.refused.map { "\(pair($0.link)): \($0.rule)" },
            excluded: r.excluded.map { "\(text(id($0.node))) \($0.standing.code)" }.sorted())
    }

    func resolve(_ events: [[Identifier]]) -> Outcome {
        var firstSeen: [Identifier: Int] = [:]
        var together: [Set<Identifier>: Int] = [:]  // pair → events carrying both
        for (position, event) in events.enumerated() {
            for v in event where firstSeen[v] == nil { firstSeen[v] = position }
            for a in event {
                for b in event where a < b { together[[a, b], default: 0] += 1 }
            }
        }
        func links(_ v: Identifier) -> Bool { rules.rule(for: v.kind).links }
        var outcome = Outcome()
        var linking: Set<Identifier> = []
        for v in firstSeen.keys {
            let partners = firstSeen.keys.filter { w in
                w.kind != v.kind && links(w) && together[[v, w]] != nil
            }.count
            let code: String
            if !links(v) {
                code = "kindDoesNotLink"
            } else if rules.blocklist.contains(v.value) {
                code = "blocklisted"
            } else if partners > rules.sharedValueThreshold {
                code = "shared(partners: \(partners))"
            } else {
                linking.insert(v)
                continue
            }
            outcome.excluded.append("\(Self.text(v)) \(code)")
        }
        outcome.excluded.sort()
        // Candidate links between linking values, strongest first.
        let candidates = together.compactMap { pair, count -> (a: Identifier, b: Identifier, count: Int)? in
            let sorted = pair.sorted()
            return linking.contains(sorted[0]) && linking.contains(sorted[1]) ? (sorted[0], sorted[1], count) : nil
        }.sorted { x, y in
            let (xa, xb) = (rules.rule(for: x.a.kind).priority, rules.rule(for: x.b.kind).priority)
            let (ya, yb) = (rules.rule(for: y.a.kind).priority, rules.rule(for: y.b.kind).priority)
            // The weaker kind's priority first, then the stronger's.
            if max(xa, xb) != max(ya, yb) { return max(xa, xb) < max(ya, yb) }
            if min(xa, xb) != min(ya, yb) { return min(xa, xb) < min(ya, yb) }
            if x.count != y.count { return x.count > y.count }
            if x.a != y.a { return x.a < y.a }
            return x.b < y.b
        }
        var accepted: [(Identifier, Identifier)] = []
        /// Every value reachable from `v` over the links accepted so far.
        func component(of v: Identifier) -> Set<Identifier> {
            var seen: Set<Identifier> = [v]
            var frontier = [v]
            while let x = frontier.popLast() {
                for (a, b) in accepted where a == x || b == x {
                    let y = a == x ? b : a
                    if seen.insert(y).inserted { frontier.append(y) }
                }
            }
            return seen
        }
        for link in candidates {
            let left = component(of: link.a)
            if left.contains(link.b) { continue }
            let right = component(of: link.b)
            let kinds = Set(left.map(\.kind)).sorted()
            let broken = kinds.first { kind in
                let r = right.filter { $0.kind == kind }.count
                return r > 0 && left.filter { $0.kind == kind }.count + r > rules.rule(for: kind).limit
            }
            if let broken {
                outcome.refused.append(
                    "\(Self.text(link.a)) — \(Self.text(link.b)): limit \(broken.rawValue) ≤ \(rules.rule(for: broken).limit)"
                )
            } else {
                accepted.append((link.a, link.b))
                outcome.accepted.append("\(Self.text(link.a)) — \(Self.text(link.b))")
            }
        }
        var placed: Set<Identifier> = []
        var components: [[Identifier]] = []
        for v in linking where !placed.contains(v) {
            let members = component(of: v)
            placed.formUnion(members)
            components.append(
                members.sorted {
                    (firstSeen[$0, default: 0], $0.kind, $0.value) < (firstSeen[$1, default: 0], $1.kind, $1.value)
                })
        }
        components.sort {
            (firstSeen[$0[0], default: 0], $0[0].kind, $0[0].value) < (
                firstSeen[$1[0], default: 0], $1[0].kind, $1[0].value
            )
        }
        outcome.components = components.map { $0.map(Self.text) }
        return outcome
    }
}
