import KithCore

/// A value that may be junk (a generic address, a clerk's placeholder), with what a person
/// needs to decide: what stopped it (if anything), how many values of other kinds it was
/// seen with, how many of those carry names that conflict, and how many profiles it touches.
public struct Suspect: Codable, Sendable, Equatable {
    public var kind: String
    public var value: String
    /// `links` when nothing stopped it, else the stored standing (`never_link: …`,
    /// `contested: …`, `shared(partners: N)`, `blocklisted`).
    public var standing: String
    public var events: Int
    /// Values of other linking kinds seen with it.
    public var partners: Int
    /// Partners whose names conflict with another partner's of the same kind.
    public var conflictingPartners: Int
    /// Its own events carry different names.
    public var ownNamesDiffer: Bool
    /// Profiles among the value and its partners.
    public var profiles: Int
    /// Parts of its own profile that only it holds together and that share a kind of value
    /// (2 or more: it alone holds, say, two people's phones together).
    public var joinsParts: Int

    enum CodingKeys: String, CodingKey {
        case kind, value, standing, events, partners, profiles
        case conflictingPartners = "conflicting_partners"
        case ownNamesDiffer = "own_names_differ"
        case joinsParts = "joins_parts"
    }

    /// Stopped already (by a pattern, the blocklist, evidence or volume).
    public var isStopped: Bool { standing != "links" }
}

extension ProfileQueries {
    /// The values most likely to be junk, most likely first: those a guard stopped, those whose
    /// own events carry different names, and those seen with two or more values at least as
    /// strong as their own that touch several profiles, conflict by name, or alone hold parts of
    /// their profile together (`joinsParts`); ordered by profiles touched, then parts joined, then
    /// conflicting partners, then partners.
    ///
    /// The graph is read into memory once (a few seconds at 200,000 persons), not value by value.
    ///
    /// For example: `try store.suspects(limit: 20, rules: .standard)`.
    public func suspects(limit: Int, rules: Rules) throws -> [Suspect] {
        try reading { snapshot in
            let graph = try SuspectGraph(snapshot, rules: rules)
            var found: [(node: Int32, suspect: Suspect)] = []
            for node in graph.candidates() {
                let s = graph.suspect(node)
                if s.isStopped || s.profiles > 1 || s.conflictingPartners > 0 || s.ownNamesDiffer || s.joinsParts > 1 {
                    found.append((node, s))
                }
            }
            let infos = try snapshot.nodes(found.map(\.node))
            for i in found.indices { found[i].suspect.value = infos[found[i].node]?.identifier.value ?? "" }
            let out = found.map(\.suspect).sorted {
                ($1.profiles, $1.joinsParts, $1.conflictingPartners, $1.partners, $0.kind, $0.value)
                    < ($0.profiles, $0.joinsParts, $0.conflictingPartners, $0.partners, $1.kind, $1.value)
            }
            return Array(out.prefix(max(0, limit)))
        }
    }
}

/// The stored identity graph in flat arrays, for weighing every value at once.
private struct SuspectGraph {
    var kindNames: [String] = []
    var kindLinks: [Bool] = []
    var kindPriority: [Int] = []
    var kind: [Int16] = []
    var names: [Int64] = []
    var events: [Int32] = []
    var profile: [Int32] = []
    var edges = Adjacency()
    var links = Adjacency()
    var excluded: [Int32: String] = [:]

    /// Neighbour lists in one array (compressed sparse rows).
    struct Adjacency {
        var offsets: [Int32] = []
        var targets: [Int32] = []

        init() {}

        init(pairs a: [Int32], _ b: [Int32], count: Int) {
            var degree = [Int32](repeating: 0, count: count + 1)
            for x in a { degree[Int(x)] += 1 }
            for x in b { degree[Int(x)] += 1 }
            offsets = [Int32](repeating: 0, count: count + 1)
            for i in 0..<count { offsets[i + 1] = offsets[i] + degree[i] }
            var next = offsets
            targets = [Int32](repeating: 0, count: Int(offsets[count]))
            for (x, y) in zip(a, b) {
                targets[Int(next[Int(x)])] = y
                next[Int(x)] += 1
                targets[Int(next[Int(y)])] = x
                next[Int(y)] += 1
            }
        }

        subscript(_ node: Int32) -> ArraySlice<Int32> {
            guard Int(node) + 1 < offsets.count else { return [] }
            return targets[Int(offsets[Int(node)])..<Int(offsets[Int(node) + 1])]
        }
    }

    init(_ snapshot: any ProfileSnapshot, rules: Rules) throws {
        var kindIndex: [String: Int16] = [:]
        let count = try snapshot.valueCount()
        kind = [Int16](repeating: -1, count: count)
        names = [Int64](repeating: 0, count: count)
        events = [Int32](repeating: 0, count: count)
        profile = [Int32](repeating: -1, count: count)
        try snapshot.forEachNode { node, info in
            let id = Int(node)
            let k = info.identifier.kind.rawValue
            let index: Int16
            if let known = kindIndex[k] {
                index = known
            } else {
                index = Int16(kindNames.count)
                kindIndex[k] = index
                kindNames.append(k)
                let rule = rules.rule(for: info.identifier.kind)
                kindLinks.append(rule.links)
                kindPriority.append(rule.priority)
            }
            kind[id] = index
            names[id] = info.names.packed
            events[id] = Int32(truncatingIfNeeded: info.events)
        }
        var profileIndex: [String: Int32] = [:]
        var profile = self.profile
        try snapshot.forEachMember { node, p in
            let index = profileIndex[p] ?? Int32(profileIndex.count)
            profileIndex[p] = index
            profile[Int(node)] = index
        }
        self.profile = profile
        var (a, b): ([Int32], [Int32]) = ([], [])
        try snapshot.forEachEdge { x, y, _ in
            a.append(x)
            b.append(y)
        }
        edges = Adjacency(pairs: a, b, count: count)
        (a, b) = ([], [])
        try snapshot.forEachLink { x, y in
            a.append(x)
            b.append(y)
        }
        links = Adjacency(pairs: a, b, count: count)
        var excluded: [Int32: String] = [:]
        try snapshot.forEachStanding { node, standing in
            if standing != .kindDoesNotLink { excluded[node] = standing.code }
        }
        self.excluded = excluded
    }

    func isLinking(_ n: Int32) -> Bool { kind[Int(n)] >= 0 && kindLinks[Int(kind[Int(n)])] }

    /// Partners (values of other linking kinds seen with it) at least as strong as the value.
    func strongPartners(of n: Int32) -> Int {
        let own = kind[Int(n)]
        return edges[n].filter { m in
            isLinking(m) && kind[Int(m)] != own && kindPriority[Int(kind[Int(m)])] <= kindPriority[Int(own)]
        }.count
    }

    func candidates() -> [Int32] {
        (0..<Int32(kind.count)).filter { n in
            guard kind[Int(n)] >= 0 else { return false }
            return excluded[n] != nil || NameEvidence(packed: names[Int(n)]).isConflicted
                || (isLinking(n) && strongPartners(of: n) >= 2)
        }
    }

    func suspect(_ n: Int32) -> Suspect {
        let own = kind[Int(n)]
        var profiles = Set<Int32>()
        if profile[Int(n)] >= 0 { profiles.insert(profile[Int(n)]) }
        var byKind: [Int16: [NameEvidence]] = [:]
        var partners = 0
        for m in edges[n] {
            if profile[Int(m)] >= 0 { profiles.insert(profile[Int(m)]) }
            guard kind[Int(m)] != own, isLinking(m) else { continue }
            partners += 1
            byKind[kind[Int(m)], default: []].append(NameEvidence(packed: names[Int(m)]))
        }
        var conflicting = 0
        for list in byKind.values {
            for (i, a) in list.enumerated()
            where list.indices.contains(where: { $0 != i && a.conflicts(with: list[$0]) }) {
                conflicting += 1
            }
        }
        return Suspect(
            kind: kindNames[Int(own)], value: "", standing: excluded[n] ?? "links", events: Int(events[Int(n)]),
            partners: partners, conflictingPartners: conflicting,
            ownNamesDiffer: NameEvidence(packed: names[Int(n)]).isConflicted, profiles: profiles.count,
            joinsParts: profile[Int(n)] >= 0 ? joinedParts(by: n) : 0)
    }

    /// How many parts of its profile only this value holds together, counting the parts that
    /// share a kind of value (at least as strong as its own) with another part: a junk address
    /// holds two people's phones together; a phone that alone binds its owner's email, WeChat id
    /// and Tmall nick holds parts of different kinds, and a member card its own devices (weaker).
    func joinedParts(by n: Int32) -> Int {
        let strength = kindPriority[Int(kind[Int(n)])]
        var seen: Set<Int32> = [n]
        var partKinds: [Set<Int16>] = []
        for start in links[n] where !seen.contains(start) {
            var queue = [start]
            seen.insert(start)
            var kinds = Set<Int16>()
            while let x = queue.popLast() {
                if kindPriority[Int(kind[Int(x)])] <= strength { kinds.insert(kind[Int(x)]) }
                for y in links[x] where seen.insert(y).inserted { queue.append(y) }
            }
            partKinds.append(kinds)
        }
        return partKinds.indices.filter { i in
            partKinds.indices.contains { j in j != i && !partKinds[i].isDisjoint(with: partKinds[j]) }
        }.count
    }
}
