/// Computes profiles (connected identifier values) from an `IdentityGraph` under `Rules`.
///
/// The result depends only on the set of events, never on their order: links are considered
/// strongest first in a canonical order (the weaker kind's priority, then the other's, then how
/// many events support the link, then the values themselves), and a link that would give a
/// profile more values of a kind than its limit is refused and recorded. Shared and blocklisted
/// values, and kinds that do not link, belong to no profile.
public struct IdentityResolver: Sendable {
    public typealias Node = IdentityGraph.Node

    public enum Standing: Sendable, Equatable {
        case links
        case kindDoesNotLink
        case blocklisted
        /// Seen with more than K distinct values of other linking kinds.
        case shared(partners: Int)
    }

    public struct Link: Sendable, Equatable {
        public var a: Node
        public var b: Node
        public var evidence: IdentityGraph.EdgeInfo
    }

    public struct RefusedLink: Sendable, Equatable {
        public var link: Link
        /// The rule that refused it, e.g. `limit member_id ≤ 1`.
        public var rule: String
    }

    public struct Resolution: Sendable {
        /// Profiles as node lists; each list starts with its anchor (the earliest value seen).
        public var components: [[Node]] = []
        /// The links that joined values (a spanning forest of each profile).
        public var accepted: [Link] = []
        public var refused: [RefusedLink] = []
        /// Nodes that belong to no profile, with why.
        public var excluded: [(node: Node, standing: Standing)] = []
    }

    public let rules: Rules
    private let blocklist: Set<String>

    public init(rules: Rules) {
        self.rules = rules
        blocklist = Set(rules.blocklist)
    }

    public func standing(of node: Node, in graph: IdentityGraph) -> Standing {
        let identifier = graph.nodes[Int(node)].identifier
        if !rules.rule(for: identifier.kind).links { return .kindDoesNotLink }
        if blocklist.contains(identifier.value) { return .blocklisted }
        var partners = 0
        for m in graph.neighbours[Int(node)] {
            let kind = graph.nodes[Int(m)].identifier.kind
            if kind != identifier.kind && rules.rule(for: kind).links { partners += 1 }
        }
        return partners > rules.sharedValueThreshold ? .shared(partners: partners) : .links
    }

    /// The nodes whose profiles may change when `touched` change: everything reachable from
    /// them over links between linking values (refused ones included, so a refusal can move).
    public func closure(of touched: some Sequence<Node>, in graph: IdentityGraph) -> [Node] {
        var seen = Set<Node>()
        var queue: [Node] = []
        for n in touched {
            if seen.insert(n).inserted { queue.append(n) }
            // A node that just became shared changes its neighbours' profiles too, even when it
            // was already reached as another touched node's neighbour.
            for m in graph.neighbours[Int(n)] where seen.insert(m).inserted { queue.append(m) }
        }
        var i = 0
        while i < queue.count {
            let n = queue[i]
            i += 1
            guard standing(of: n, in: graph) == .links else { continue }
            for m in graph.neighbours[Int(n)] where standing(of: m, in: graph) == .links {
                if seen.insert(m).inserted { queue.append(m) }
            }
        }
        return queue
    }

    public func resolveAll(_ graph: IdentityGraph) -> Resolution {
        resolve((0..<Node(graph.nodeCount)).map { $0 }, in: graph)
    }

    /// Resolves a node set closed under links (see `closure(of:in:)`).
    public func resolve(_ subset: [Node], in graph: IdentityGraph) -> Resolution {
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
        for (i, n) in linking.sorted(by: { graph.nodes[Int($0)].identifier < graph.nodes[Int($1)].identifier }).enumerated() {
            rank[n] = i
        }
        struct Key: Comparable {
            var weak: Int, strong: Int, negativeCount: Int, low: Int, high: Int
            static func < (x: Key, y: Key) -> Bool {
                (x.weak, x.strong, x.negativeCount, x.low, x.high) < (y.weak, y.strong, y.negativeCount, y.low, y.high)
            }
        }
        var keyed: [(key: Key, link: Link)] = links.map { l in
            let pa = priority[l.a]!
            let pb = priority[l.b]!
            let ra = rank[l.a]!
            let rb = rank[l.b]!
            return (
                Key(
                    weak: max(pa, pb), strong: min(pa, pb), negativeCount: -l.evidence.count, low: min(ra, rb),
                    high: max(ra, rb)), l
            )
        }
        keyed.sort { $0.key < $1.key }
        links = keyed.map(\.link)
        var sets = DisjointSets(linking, kinds: { graph.nodes[Int($0)].identifier.kind })
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

/// Union–find over nodes, tracking how many values of each kind every set holds.
struct DisjointSets {
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
