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
        /// Matches the rules' never-link pattern of this name.
        case neverLinks(rule: String)
        /// Its evidence says it joins different people, however few (see `EvidenceRules`).
        case contested(Evidence)

        /// What kind of standing this is, without its detail: what stores keep as a typed
        /// value and query by.
        public var kind: Kind {
            switch self {
            case .links: .links
            case .kindDoesNotLink: .kindDoesNotLink
            case .blocklisted: .blocklisted
            case .shared: .shared
            case .neverLinks: .neverLinks
            case .contested: .contested
            }
        }

        /// The kinds of standing, with stable stored codes (never renumbered: stores keep them).
        public enum Kind: Int, CaseIterable, Sendable {
            case links = 0
            case kindDoesNotLink = 1
            case blocklisted = 2
            case shared = 3
            case neverLinks = 4
            case contested = 5
        }

        /// The standing as `explain`, `suspects` and a resolution's note show it (stores before
        /// typed columns kept this text; `init?(code:)` reads it back).
        public var code: String {
            switch self {
            case .links: "links"
            case .kindDoesNotLink: "kindDoesNotLink"
            case .blocklisted: "blocklisted"
            case .shared(let partners): "shared(partners: \(partners))"
            case .neverLinks(let rule): "never_link: \(rule)"
            case .contested(let evidence): "contested: \(evidence)"
            }
        }
    }

    /// What contests a value.
    public enum Evidence: Sendable, Equatable, CustomStringConvertible {
        /// Its own events carry different names.
        case differentNames
        /// It is seen with values of this kind whose events carry different names.
        case partnersWithDifferentNames(IdentifierKind)
        /// It is seen with `count` values of a kind whose limit is lower.
        case overLimit(IdentifierKind, count: Int, limit: Int)

        public var description: String {
            switch self {
            case .differentNames: "different names on its events"
            case .partnersWithDifferentNames(let kind): "seen with \(kind.rawValue) values of different names"
            case .overLimit(let kind, let count, let limit):
                "seen with \(count) \(kind.rawValue) values (limit \(limit))"
            }
        }
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
    private let matcher: NeverLinkMatcher

    public init(rules: Rules) {
        self.rules = rules
        matcher = NeverLinkMatcher(rules)
    }

    /// Whether a value links, and if not why. Blocklist and patterns look at the value alone;
    /// the shared-value guard counts its partners (values of other linking kinds seen with it);
    /// the evidence guard weighs the names and limits of those partners. None of it depends on
    /// the order events came in.
    public func standing(of node: Node, in graph: IdentityGraph) -> Standing {
        var marks = NeverLinkMarks(dense: false)
        return standing(of: node, in: graph, marks: &marks)
    }

    /// `standing(of:in:)`, remembering in `marks` which values never link by what they are.
    public func standing(of node: Node, in graph: IdentityGraph, marks: inout NeverLinkMarks) -> Standing {
        let info = graph.nodes[Int(node)]
        let identifier = info.identifier
        if !rules.rule(for: identifier.kind).links { return .kindDoesNotLink }
        if marks.neverLinks(node, in: graph, by: self) {
            if matcher.isBlocklisted(identifier) { return .blocklisted }
            if let rule = matcher.firstPattern(matching: identifier) { return .neverLinks(rule: rule) }
        }
        var partners = 0
        for m in graph.neighbours[Int(node)] {
            let kind = graph.nodes[Int(m)].identifier.kind
            if kind != identifier.kind && rules.rule(for: kind).links { partners += 1 }
        }
        if partners > rules.sharedValueThreshold { return .shared(partners: partners) }
        if let evidence = contestingEvidence(of: info, partners: graph.neighbours[Int(node)], in: graph, marks: &marks)
        {
            return .contested(evidence)
        }
        return .links
    }

    /// Evidence that a value joins different people. Partners that never link (blocklisted or
    /// matching a pattern) are no evidence: a placeholder beside a real member id says nothing.
    private func contestingEvidence(
        of info: IdentityGraph.NodeInfo, partners: [Node], in graph: IdentityGraph, marks: inout NeverLinkMarks
    ) -> Evidence? {
        let evidence = rules.evidence
        guard evidence.names || evidence.limits else { return nil }
        if evidence.names && info.names.isConflicted { return .differentNames }
        // Partners' evidence needs two of them (two of one kind, or more than a limit of at least one).
        guard partners.count >= 2 else { return nil }
        // Partners by kind, in a canonical order (the neighbour list's order is arrival order).
        var byKind: [(kind: IdentifierKind, names: [NameEvidence], count: Int)] = []
        for m in partners {
            let partner = graph.nodes[Int(m)]
            let kind = partner.identifier.kind
            guard kind != info.identifier.kind, rules.rule(for: kind).links, !marks.neverLinks(m, in: graph, by: self)
            else {
                continue
            }
            if let i = byKind.firstIndex(where: { $0.kind == kind }) {
                byKind[i].count += 1
                if !partner.names.isEmpty { byKind[i].names.append(partner.names) }
            } else {
                byKind.append((kind, partner.names.isEmpty ? [] : [partner.names], 1))
            }
        }
        byKind.sort { $0.kind < $1.kind }
        let priority = rules.rule(for: info.identifier.kind).priority
        if evidence.limits {
            // Only a stronger kind's values tell people apart: a member card seen with two phones
            // is one person who changed numbers (the limit settles which link stays); a phone
            // seen with two member cards is two people.
            for k in byKind {
                let rule = rules.rule(for: k.kind)
                if k.count > rule.limit && rule.priority < priority {
                    return .overLimit(k.kind, count: k.count, limit: rule.limit)
                }
            }
        }
        if evidence.names {
            // Names weigh on a value through partners at least as strong as it: an address seen
            // with two phones of different names joins two people, but a member card is not
            // doubted because its own phones' channels spell the name differently.
            for k in byKind where k.names.count > 1 && rules.rule(for: k.kind).priority <= priority {
                for i in 0..<k.names.count {
                    for j in (i + 1)..<k.names.count where k.names[i].conflicts(with: k.names[j]) {
                        return .partnersWithDifferentNames(k.kind)
                    }
                }
            }
        }
        return nil
    }

    /// Whether a value never links by what it is (blocklist, patterns), whatever it is seen with.
    public func neverLinks(_ identifier: Identifier) -> Bool { matcher.neverLinks(identifier) }

    /// The nodes whose profiles may change when `touched` change: everything reachable from
    /// them over links between linking values (refused ones included, so a refusal can move).
    public func closure(of touched: some Sequence<Node>, in graph: IdentityGraph) -> [Node] {
        var marks = NeverLinkMarks(dense: false)
        return closure(of: touched, in: graph, marks: &marks)
    }

    /// `closure(of:in:)`, remembering in `marks` which values never link by what they are.
    public func closure(of touched: some Sequence<Node>, in graph: IdentityGraph, marks: inout NeverLinkMarks) -> [Node]
    {
        var seen = Set<Node>()
        var queue: [Node] = []
        // A value's standing counts its partners, so a shared value with thousands of them would
        // cost that much again for every neighbour that asks: each standing is worked out once.
        var standings: [Node: Standing] = [:]
        func links(_ n: Node) -> Bool {
            if let known = standings[n] { return known == .links }
            let s = standing(of: n, in: graph, marks: &marks)
            standings[n] = s
            return s == .links
        }
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
            guard links(n) else { continue }
            for m in graph.neighbours[Int(n)] where links(m) {
                if seen.insert(m).inserted { queue.append(m) }
            }
        }
        return queue
    }

    public func resolveAll(_ graph: IdentityGraph) -> Resolution {
        var marks = NeverLinkMarks(dense: true)
        return resolveAll(graph, marks: &marks)
    }

    public func resolveAll(_ graph: IdentityGraph, marks: inout NeverLinkMarks) -> Resolution {
        resolve((0..<Node(graph.nodeCount)).map { $0 }, in: graph, marks: &marks)
    }

    /// Resolves a node set closed under links (see `closure(of:in:)`).
    ///
    /// Works on dense local indices (`LocalIndex`) rather than dictionaries keyed by node: a
    /// rebuild resolves the whole graph at once, and hashing every node several times cost
    /// more than the resolution itself.
    public func resolve(_ subset: [Node], in graph: IdentityGraph) -> Resolution {
        var marks = NeverLinkMarks(dense: subset.count >= graph.nodeCount / 8)
        return resolve(subset, in: graph, marks: &marks)
    }

    /// `resolve(_:in:)`, remembering in `marks` which values never link by what they are.
    public func resolve(_ subset: [Node], in graph: IdentityGraph, marks: inout NeverLinkMarks) -> Resolution {
        var resolution = Resolution()
        var linking: [Node] = []
        for n in subset {
            let s = standing(of: n, in: graph, marks: &marks)
            if s == .links { linking.append(n) } else { resolution.excluded.append((n, s)) }
        }
        // Linking values by their dense index 0..<linking.count.
        let index = LocalIndex(linking, nodeCount: graph.nodeCount)
        // Sort keys computed once per value: priority and the rank of the identifier among the subset.
        let priority = linking.map { rules.rule(for: graph.nodes[Int($0)].identifier.kind).priority }
        var rank = [Int32](repeating: 0, count: linking.count)
        let byIdentifier = (0..<Int32(linking.count)).sorted {
            graph.nodes[Int(linking[Int($0)])].identifier < graph.nodes[Int(linking[Int($1)])].identifier
        }
        for (r, i) in byIdentifier.enumerated() { rank[Int(i)] = Int32(r) }
        struct Keyed {
            var weak: Int, strong: Int, negativeCount: Int, low: Int32, high: Int32
            var a: Int32, b: Int32
            var link: Link
            func precedes(_ y: Keyed) -> Bool {
                (weak, strong, negativeCount, low, high) < (y.weak, y.strong, y.negativeCount, y.low, y.high)
            }
        }
        var keyed: [Keyed] = []
        for (ia, a) in linking.enumerated() {
            for b in graph.neighbours[Int(a)] where a < b {
                guard let ib = index[b].map(Int.init), let e = graph.edge(a, b) else { continue }
                let (pa, pb, ra, rb) = (priority[ia], priority[ib], rank[ia], rank[ib])
                keyed.append(
                    Keyed(
                        weak: max(pa, pb), strong: min(pa, pb), negativeCount: -e.count, low: min(ra, rb),
                        high: max(ra, rb), a: Int32(ia), b: Int32(ib), link: Link(a: a, b: b, evidence: e)))
            }
        }
        keyed.sort { $0.precedes($1) }
        var sets = DisjointSets(linking.map { graph.nodes[Int($0)].identifier.kind })
        for k in keyed {
            let ra = sets.find(k.a)
            let rb = sets.find(k.b)
            if ra == rb { continue }
            if let broken = sets.limitBroken(joining: ra, rb, limit: { rules.rule(for: $0).limit }) {
                resolution.refused.append(
                    RefusedLink(link: k.link, rule: "limit \(broken.rawValue) ≤ \(rules.rule(for: broken).limit)"))
                continue
            }
            sets.union(ra, rb)
            resolution.accepted.append(k.link)
        }
        var groups = [[Node]](repeating: [], count: linking.count)
        for i in 0..<Int32(linking.count) { groups[Int(sets.find(i))].append(linking[Int(i)]) }
        func earlier(_ a: Node, _ b: Node) -> Bool {
            let x = graph.nodes[Int(a)]
            let y = graph.nodes[Int(b)]
            if x.firstSeen != y.firstSeen { return x.firstSeen < y.firstSeen }
            return x.identifier < y.identifier
        }
        resolution.components = groups.filter { !$0.isEmpty }.map { $0.sorted(by: earlier) }.sorted {
            earlier($0[0], $1[0])
        }
        return resolution
    }
}

/// Positions of nodes in a list: an array over all nodes when the list is a good part of the
/// graph (a rebuild), a dictionary when it is a few values (an increment).
struct LocalIndex {
    typealias Node = IdentityGraph.Node
    private var dense: [Int32] = []
    private var sparse: [Node: Int32] = [:]

    init(_ subset: [Node], nodeCount: Int) {
        if subset.count >= nodeCount / 8 {
            dense = [Int32](repeating: -1, count: nodeCount)
            for (i, n) in subset.enumerated() { dense[Int(n)] = Int32(i) }
        } else {
            sparse.reserveCapacity(subset.count)
            for (i, n) in subset.enumerated() { sparse[n] = Int32(i) }
        }
    }

    subscript(_ node: Node) -> Int32? {
        if dense.isEmpty { return sparse[node] }
        let i = dense[Int(node)]
        return i < 0 ? nil : i
    }
}

/// Union–find over dense indices, tracking how many values of each kind every set holds.
struct DisjointSets {
    private var parent: [Int32]
    private var size: [Int32]
    private let kind: [IdentifierKind]
    /// Per root that has absorbed another set: its kinds (sorted) with counts. A set of one
    /// value is its own kind once, not stored.
    private var counts: [Int32: [(kind: IdentifierKind, count: Int)]] = [:]

    init(_ kinds: [IdentifierKind]) {
        kind = kinds
        parent = Array(0..<Int32(kinds.count))
        size = [Int32](repeating: 1, count: kinds.count)
    }

    mutating func find(_ n: Int32) -> Int32 {
        var root = n
        while parent[Int(root)] != root { root = parent[Int(root)] }
        var x = n
        while parent[Int(x)] != root {
            let next = parent[Int(x)]
            parent[Int(x)] = root
            x = next
        }
        return root
    }

    private func kinds(of root: Int32) -> [(kind: IdentifierKind, count: Int)] {
        counts[root] ?? [(kind[Int(root)], 1)]
    }

    /// The first kind (in kind order) whose count the union would take over its limit.
    func limitBroken(joining a: Int32, _ b: Int32, limit: (IdentifierKind) -> Int) -> IdentifierKind? {
        let cb = kinds(of: b)
        for (k, count) in kinds(of: a) {
            if let other = cb.first(where: { $0.kind == k }), count + other.count > limit(k) { return k }
        }
        return nil
    }

    mutating func union(_ a: Int32, _ b: Int32) {
        let (big, small) = size[Int(a)] >= size[Int(b)] ? (a, b) : (b, a)
        parent[Int(small)] = big
        size[Int(big)] += size[Int(small)]
        var merged = kinds(of: big)
        for (k, count) in kinds(of: small) {
            if let i = merged.firstIndex(where: { $0.kind == k }) {
                merged[i].count += count
            } else {
                merged.append((k, count))
            }
        }
        merged.sort { $0.kind < $1.kind }
        counts[big] = merged
        counts[small] = nil
    }
}
