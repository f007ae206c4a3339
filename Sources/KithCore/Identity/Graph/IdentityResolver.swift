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
        let kinds = marks.kinds(of: graph, by: self)
        let code = graph.kindCode(of: node)
        if !kinds.links[Int(code)] { return .kindDoesNotLink }
        if marks.neverLinks(node, in: graph, by: self) {
            let identifier = graph.nodes[Int(node)].identifier
            if matcher.isBlocklisted(identifier) { return .blocklisted }
            if let rule = matcher.firstPattern(matching: identifier) { return .neverLinks(rule: rule) }
        }
        let partnerList = graph.neighbours[Int(node)]
        var partners = 0
        for m in partnerList {
            let c = graph.kindCode(of: m)
            if c != code && kinds.links[Int(c)] { partners += 1 }
        }
        if partners > rules.sharedValueThreshold { return .shared(partners: partners) }
        if let evidence = contestingEvidence(of: node, partners: partnerList, in: graph, kinds: kinds, marks: &marks) {
            return .contested(evidence)
        }
        return .links
    }

    /// Evidence that a value joins different people. Partners that never link (blocklisted or
    /// matching a pattern) are no evidence: a placeholder beside a real member id says nothing.
    private func contestingEvidence(
        of node: Node, partners: [Node], in graph: IdentityGraph, kinds: KindRules, marks: inout NeverLinkMarks
    ) -> Evidence? {
        let evidence = rules.evidence
        guard evidence.names || evidence.limits else { return nil }
        if evidence.names && graph.names(of: node).isConflicted { return .differentNames }
        // Partners' evidence needs two of them (two of one kind, or more than a limit of at least one).
        guard partners.count >= 2 else { return nil }
        let code = graph.kindCode(of: node)
        let priority = kinds.priority[Int(code)]
        // Each partner's kind code, or -1 for one that is no evidence. Partners are few (a value
        // with more is shared), and every value asks: no array is allocated for them.
        return withUnsafeTemporaryAllocation(of: Int32.self, capacity: partners.count) { codes in
            for (i, m) in partners.enumerated() {
                let c = graph.kindCode(of: m)
                let counts = c != code && kinds.links[Int(c)] && !marks.neverLinks(m, in: graph, by: self)
                codes[i] = counts ? Int32(c) : -1
            }
            // Kinds in name order, so the evidence named does not depend on arrival order.
            if evidence.limits {
                // Only a stronger kind's values tell people apart: a member card seen with two phones
                // is one person who changed numbers (the limit settles which link stays); a phone
                // seen with two member cards is two people.
                for c in kinds.inNameOrder where kinds.priority[Int(c)] < priority {
                    let count = codes.reduce(0) { $0 + ($1 == Int32(c) ? 1 : 0) }
                    let limit = kinds.limit[Int(c)]
                    if count > limit { return .overLimit(kinds.kinds[Int(c)], count: count, limit: limit) }
                }
            }
            if evidence.names {
                // Names weigh on a value through partners at least as strong as it: an address seen
                // with two phones of different names joins two people, but a member card is not
                // doubted because its own phones' channels spell the name differently.
                for c in kinds.inNameOrder where kinds.priority[Int(c)] <= priority {
                    for i in codes.indices where codes[i] == Int32(c) {
                        let a = graph.names(of: partners[i])
                        guard !a.isEmpty else { continue }
                        for j in (i + 1)..<codes.count where codes[j] == Int32(c) {
                            if a.conflicts(with: graph.names(of: partners[j])) {
                                return .partnersWithDifferentNames(kinds.kinds[Int(c)])
                            }
                        }
                    }
                }
            }
            return nil
        }
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
        let kinds = marks.kinds(of: graph, by: self)
        // Linking values by their dense index 0..<linking.count.
        let index = LocalIndex(linking, nodeCount: graph.nodeCount)
        let codes = linking.map { graph.kindCode(of: $0) }
        // Each value's rank among the subset by identifier: the last tie-break of the link order.
        let byRank = IdentifierOrder.sorted(linking, in: graph, kinds: kinds)
        var rank = [UInt32](repeating: 0, count: linking.count)
        for (r, i) in byRank.enumerated() { rank[Int(i)] = UInt32(r) }
        // Room for every candidate at once: a rebuild has millions, and growing the lists by
        // doubling held each beside its copy when resolution's memory peaks.
        var order: [LinkKey] = []
        func consider(_ ia: Int, _ ib: Int, _ e: IdentityGraph.EdgeInfo) {
            let (pa, pb) = (kinds.priorityRank[Int(codes[ia])], kinds.priorityRank[Int(codes[ib])])
            order.append(LinkKey(weak: max(pa, pb), strong: min(pa, pb), count: e.count, ranks: (rank[ia], rank[ib])))
        }
        // The candidates' order does not matter (they are sorted next). The whole graph's are
        // read off the edge table in one pass; a few values' from their neighbours.
        if subset.count == graph.nodeCount {
            order.reserveCapacity(graph.edgeCount)
            graph.forEachEdge { a, b, e in
                guard let ia = index[a], let ib = index[b] else { return }
                consider(Int(ia), Int(ib), e)
            }
        } else {
            var candidates = 0
            for a in linking { for b in graph.neighbours[Int(a)] where a < b { candidates += 1 } }
            order.reserveCapacity(candidates)
            for (ia, a) in linking.enumerated() {
                for b in graph.neighbours[Int(a)] where a < b {
                    guard let ib = index[b].map(Int.init), let e = graph.edge(a, b) else { continue }
                    consider(ia, ib, e)
                }
            }
        }
        resolution.accepted.reserveCapacity(min(order.count, linking.count))
        order.sort { ($0.major, $0.minor) < ($1.major, $1.minor) }
        var sets = DisjointSets(codes, kinds: kinds)
        for k in order {
            // The two ends from their ranks, the smaller node first (as the candidates were listed).
            var (ia, ib) = (byRank[Int(k.ranks.low)], byRank[Int(k.ranks.high)])
            if linking[Int(ib)] < linking[Int(ia)] { swap(&ia, &ib) }
            let ra = sets.find(ia)
            let rb = sets.find(ib)
            if ra == rb { continue }
            let (a, b) = (linking[Int(ia)], linking[Int(ib)])
            // Looked up again for the links decided only: a list of every candidate's evidence
            // beside the candidates was 16 bytes an edge at resolution's memory peak.
            guard let evidence = graph.edge(a, b) else { continue }
            let link = Link(a: a, b: b, evidence: evidence)
            if let broken = sets.limitBroken(joining: ra, rb) {
                let kind = kinds.kinds[Int(broken)]
                resolution.refused.append(
                    RefusedLink(link: link, rule: "limit \(kind.rawValue) ≤ \(kinds.limit[Int(broken)])"))
                continue
            }
            sets.union(ra, rb)
            resolution.accepted.append(link)
        }
        // Components list their values first seen first, then by identifier (`rank`), and come
        // in the order of their first values.
        let firstSeen = linking.map { graph.firstSeen(of: $0) }
        func earlier(_ a: Int32, _ b: Int32) -> Bool {
            (firstSeen[Int(a)], rank[Int(a)]) < (firstSeen[Int(b)], rank[Int(b)])
        }
        // The values grouped by set in one flat array (a counting sort by root), not an array
        // per set. `offset[r]` starts as set `r`'s start and steps past each value placed, so
        // once filled it is where set `r` ends and set `r + 1` starts.
        let n = linking.count
        var offset = [Int32](repeating: 0, count: n + 1)
        for i in 0..<Int32(n) { offset[Int(sets.find(i)) + 1] += 1 }
        for r in 0..<n { offset[r + 1] += offset[r] }
        var members = [Int32](repeating: 0, count: n)
        for i in 0..<Int32(n) {
            let r = Int(sets.find(i))
            members[Int(offset[r])] = i
            offset[r] += 1
        }
        // Each group is sorted in place and mapped to nodes once: one array per component.
        var components: [(first: Int32, nodes: [Node])] = []
        for r in 0..<n {
            let group = (r == 0 ? 0 : Int(offset[r - 1]))..<Int(offset[r])
            guard !group.isEmpty else { continue }
            members[group].sort(by: earlier)
            components.append((members[group.lowerBound], members[group].map { linking[Int($0)] }))
        }
        components.sort { earlier($0.first, $1.first) }
        resolution.components = components.map(\.nodes)
        return resolution
    }
}

/// A candidate link's place in the resolver's canonical order, packed into two words: the
/// weaker kind's priority, then the stronger's, then more supporting events first, then the
/// two values' identifier ranks. Sorting these replaced sorting tuples of five fields that
/// carried the whole link along; the ranks also name the two values (see `resolve`).
struct LinkKey {
    let major: UInt64
    let minor: UInt64

    init(weak: Int, strong: Int, count: Int, ranks: (UInt32, UInt32)) {
        // Priority ranks are below the number of kinds (a 16-bit code); a count past 32 bits is
        // clamped, which only ties links that each have billions of events.
        let fewer = UInt64(UInt32.max) - UInt64(min(max(count, 0), Int(UInt32.max)))
        major = UInt64(weak) << 48 | UInt64(strong) << 32 | fewer
        minor = UInt64(min(ranks.0, ranks.1)) << 32 | UInt64(max(ranks.0, ranks.1))
    }

    /// The two values' identifier ranks, the smaller first.
    var ranks: (low: UInt32, high: UInt32) {
        (UInt32(truncatingIfNeeded: minor >> 32), UInt32(truncatingIfNeeded: minor))
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

/// Union–find over dense indices, tracking how many values of each kind every set holds: a
/// row of counts by kind code for each set that has absorbed another (a set of one value is
/// its own kind once, and needs no row).
struct DisjointSets {
    typealias KindCode = IdentityGraph.KindCode
    private var parent: [Int32]
    private var size: [Int32]
    private let code: [KindCode]
    private let kinds: KindRules
    private let width: Int
    /// Each root's row in `counts`, or -1 for a set of one value.
    private var row: [Int32]
    private var counts: [Int32] = []

    init(_ codes: [KindCode], kinds: KindRules) {
        code = codes
        self.kinds = kinds
        width = max(1, kinds.kinds.count)
        parent = Array(0..<Int32(codes.count))
        size = [Int32](repeating: 1, count: codes.count)
        row = [Int32](repeating: -1, count: codes.count)
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

    private func count(of kind: KindCode, in root: Int32) -> Int {
        let r = row[Int(root)]
        if r < 0 { return code[Int(root)] == kind ? 1 : 0 }
        return Int(counts[Int(r) * width + Int(kind)])
    }

    /// The first kind (in name order) that both sets hold and whose count the union would take
    /// over its limit.
    func limitBroken(joining a: Int32, _ b: Int32) -> KindCode? {
        if row[Int(a)] < 0 && row[Int(b)] < 0 {
            let c = code[Int(a)]
            return c == code[Int(b)] && 2 > kinds.limit[Int(c)] ? c : nil
        }
        for c in kinds.inNameOrder {
            let x = count(of: c, in: a)
            guard x > 0 else { continue }
            let y = count(of: c, in: b)
            if y > 0 && x + y > kinds.limit[Int(c)] { return c }
        }
        return nil
    }

    mutating func union(_ a: Int32, _ b: Int32) {
        let (big, small) = size[Int(a)] >= size[Int(b)] ? (a, b) : (b, a)
        parent[Int(small)] = big
        size[Int(big)] += size[Int(small)]
        if row[Int(big)] < 0 {
            row[Int(big)] = Int32(counts.count / width)
            counts.append(contentsOf: repeatElement(0, count: width))
            counts[Int(row[Int(big)]) * width + Int(code[Int(big)])] = 1
        }
        let into = Int(row[Int(big)]) * width
        if row[Int(small)] < 0 {
            counts[into + Int(code[Int(small)])] += 1
        } else {
            let from = Int(row[Int(small)]) * width
            for c in 0..<width { counts[into + c] += counts[from + c] }
        }
    }
}
