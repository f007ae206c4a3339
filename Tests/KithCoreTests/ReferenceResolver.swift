@testable import KithCore

/// The resolver as it was before it moved to dense arrays: dictionaries keyed by node, easy to
/// read. The production resolver must give exactly its result (`IdentityResolverOracleTests`).
/// It guards that refactoring only: it shares `standing(of:in:)` with the code it checks. The
/// independent oracle is `BruteForceResolver`, which derives everything from the events.
extension IdentityResolver {
    /// Resolves a node set closed under links, the old way.
    func referenceResolve(_ subset: [Node], in graph: IdentityGraph) -> Resolution {
        var resolution = Resolution()
        var linking: [Node] = []
        var standings: [Node: Standing] = [:]
        for n in subset {
            let s = standing(of: n, in: graph)
            standings[n] = s
            if s == .links { linking.append(n) } else { resolution.excluded.append((n, s)) }
        }
        var links: [Link] = []
        for a in linking {
            for b in graph.neighbours[Int(a)] where a < b && standings[b] == .links {
                if let e = graph.edge(a, b) { links.append(Link(a: a, b: b, evidence: e)) }
            }
        }
        // Sort keys computed once per node: priority and the rank of the identifier among the subset.
        var priority: [Node: Int] = [:]
        for n in linking { priority[n] = rules.rule(for: graph.nodes[Int(n)].identifier.kind).priority }
        var rank: [Node: Int] = [:]
        for (i, n) in linking.sorted(by: { graph.nodes[Int($0)].identifier < graph.nodes[Int($1)].identifier })
            .enumerated()
        {
            rank[n] = i
        }
        struct Key: Comparable {
            var weak: Int, strong: Int, negativeCount: Int, low: Int, high: Int
            static func < (x: Key, y: Key) -> Bool {
                (x.weak, x.strong, x.negativeCount, x.low, x.high) < (y.weak, y.strong, y.negativeCount, y.low, y.high)
            }
        }
        var keyed: [(key: Key, link: Link)] = links.map { l in
            let pa = priority[l.a, default: 0]
            let pb = priority[l.b, default: 0]
            let ra = rank[l.a, default: 0]
            let rb = rank[l.b, default: 0]
            return (
                Key(
                    weak: max(pa, pb), strong: min(pa, pb), negativeCount: -l.evidence.count, low: min(ra, rb),
                    high: max(ra, rb)), l
            )
        }
        keyed.sort { $0.key < $1.key }
        links = keyed.map(\.link)
        var sets = ReferenceDisjointSets(linking, kinds: { graph.nodes[Int($0)].identifier.kind })
        for link in links {
            let ra = sets.find(link.a)
            let rb = sets.find(link.b)
            if ra == rb { continue }
            if let broken = sets.limitBroken(joining: ra, rb, limit: { rules.rule(for: $0).limit }) {
                resolution.refused.append(
                    RefusedLink(link: link, rule: "limit \(broken.rawValue) ≤ \(rules.rule(for: broken).limit)"))
                continue
            }
            sets.union(ra, rb)
            resolution.accepted.append(link)
        }
        var groups: [Node: [Node]] = [:]
        for n in linking { groups[sets.find(n), default: []].append(n) }
        func earlier(_ a: Node, _ b: Node) -> Bool {
            let x = graph.nodes[Int(a)]
            let y = graph.nodes[Int(b)]
            if x.firstSeen != y.firstSeen { return x.firstSeen < y.firstSeen }
            return x.identifier < y.identifier
        }
        resolution.components = groups.values.map { $0.sorted(by: earlier) }.sorted { earlier($0[0], $1[0]) }
        return resolution
    }
}

/// The former union–find over nodes (dictionaries), tracking how many values of each kind every set holds.
struct ReferenceDisjointSets {
    typealias Node = IdentityGraph.Node
    private var parent: [Node: Node] = [:]
    private var kindCounts: [Node: [IdentifierKind: Int]] = [:]

    init(_ nodes: [Node], kinds: (Node) -> IdentifierKind) {
        for n in nodes {
            parent[n] = n
            kindCounts[n] = [kinds(n): 1]
        }
    }

    mutating func find(_ n: Node) -> Node {
        var root = n
        while let p = parent[root], p != root { root = p }
        var x = n
        while let p = parent[x], p != root {
            parent[x] = root
            x = p
        }
        return root
    }

    func limitBroken(joining a: Node, _ b: Node, limit: (IdentifierKind) -> Int) -> IdentifierKind? {
        let ca = kindCounts[a] ?? [:]
        let cb = kindCounts[b] ?? [:]
        for (kind, count) in ca.sorted(by: { $0.key < $1.key }) {
            if let other = cb[kind], count + other > limit(kind) { return kind }
        }
        return nil
    }

    mutating func union(_ a: Node, _ b: Node) {
        let (big, small) = (kindCounts[a]?.count ?? 0) >= (kindCounts[b]?.count ?? 0) ? (a, b) : (b, a)
        parent[small] = big
        for (kind, count) in kindCounts[small] ?? [:] { kindCounts[big, default: [:]][kind, default: 0] += count }
        kindCounts[small] = nil
    }
}
