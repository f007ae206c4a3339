import KithCore

extension ReplayImpact {
    /// One store, read once, on dense ids: each value by its node, each profile interned.
    struct Side {
        typealias Node = IdentityGraph.Node

        struct Entry {
            var segment: Segment?
            var stage: LifecycleStage
        }

        /// Two values as `kind:value` labels, the smaller first: how a refused link is known
        /// on both sides (node ids need not agree).
        struct Pair: Hashable, Comparable {
            var a: String
            var b: String
            static func < (l: Pair, r: Pair) -> Bool { (l.a, l.b) < (r.a, r.b) }
        }

        struct Refusal {
            var pair: Pair
            /// The nodes labelled `pair.a` and `pair.b`.
            var first: Node
            var second: Node
            var rule: String
        }

        var position: UInt64 = 0
        /// Each node's identifier (nil for an id the store does not use).
        var identifiers: [Identifier?] = []
        /// Each node's profile as an index into `names` (-1: none).
        var member: [Int32] = []
        /// Each profile's id, ascending while `namesAreSorted`: a store hands its profiles in
        /// id order, so they are joined by walking two sorted lists, never by hashing an id.
        var names: [String] = []
        /// Every name's index, made only once a name comes out of order (another adapter).
        private var index: [String: Int32]?
        private var namesAreSorted = true
        /// Each profile's RFM segment and stage (nil: no RFM row, not counted as a profile).
        var entry: [Entry?] = []
        var refused: [Refusal] = []

        var entryCount: Int { entry.lazy.filter { $0 != nil }.count }

        init(_ store: some ProfileQueries) throws {
            var side = Side()
            try store.reading { snapshot in
                let model = try snapshot.rfmModel()
                side.position = try snapshot.checkpoint()
                // Whether each id is a stored value: asked once per member, where testing the
                // optional identifier retained and released its strings.
                var stored: [Bool] = []
                try snapshot.forEachNode { node, info in
                    let i = Int(node)
                    if i >= side.identifiers.count {
                        side.identifiers.append(contentsOf: repeatElement(nil, count: i + 1 - side.identifiers.count))
                        stored.append(contentsOf: repeatElement(false, count: i + 1 - stored.count))
                    }
                    side.identifiers[i] = info.identifier
                    stored[i] = true
                }
                var member = [Int32](repeating: -1, count: stored.count)
                try snapshot.forEachMember { node, profile in
                    let i = Int(node)
                    guard i >= 0, i < stored.count, stored[i] else { return }
                    member[i] = side.intern(profile)
                }
                side.member = member
                try snapshot.forEachRefusedLink { a, b, rule in
                    guard let p = side.label(of: a), let q = side.label(of: b) else { return }
                    side.refused.append(
                        p < q
                            ? Refusal(pair: Pair(a: p, b: q), first: a, second: b, rule: rule)
                            : Refusal(pair: Pair(a: q, b: p), first: b, second: a, rule: rule))
                }
                var cursor = 0
                try snapshot.forEachProfileRFM(after: nil) { profile, raw in
                    // In id order, like the members: most ids are the next name at the cursor.
                    while side.namesAreSorted, cursor < side.names.count, side.names[cursor] < profile { cursor += 1 }
                    let i =
                        side.namesAreSorted && cursor < side.names.count && side.names[cursor] == profile
                        ? cursor : Int(side.intern(profile))
                    side.entry[i] = Entry(
                        segment: model?.score(raw)?.segment,
                        stage: model?.stage(raw) ?? LifecycleStage(raw, asOf: 0, rules: .init()))
                    return true
                }
            }
            self = side
        }

        private init() {}

        /// The profiles `indices` by name, ascending.
        func inNameOrder(_ indices: [Int]) -> [Int] {
            namesAreSorted ? indices : indices.sorted { names[$0] < names[$1] }
        }

        /// For each profile of `other`, the profile of the same id here (-1: none), by walking
        /// both lists in step when both are sorted.
        func profiles(namedAs other: Side) -> [Int32] {
            let others = other.names
            var out = [Int32](repeating: -1, count: others.count)
            if namesAreSorted && other.namesAreSorted {
                var cursor = 0
                for (o, name) in others.enumerated() {
                    while cursor < names.count, names[cursor] < name { cursor += 1 }
                    if cursor < names.count, names[cursor] == name { out[o] = Int32(cursor) }
                }
            } else {
                let lookup = index ?? Self.indexed(names)
                for (o, name) in others.enumerated() { out[o] = lookup[name] ?? -1 }
            }
            return out
        }

        private mutating func intern(_ profile: String) -> Int32 {
            // A store hands each profile's values in a row, mostly with the same `String`;
            // profiles come in id order, so a new one goes last.
            if let last = names.last {
                if last == profile { return Int32(names.count - 1) }
                if namesAreSorted && last < profile { return append(profile) }
                if index == nil { index = Self.indexed(names) }
            } else {
                return append(profile)
            }
            namesAreSorted = false
            if let known = index?[profile] { return known }
            let i = append(profile)
            index?[profile] = i
            return i
        }

        private mutating func append(_ profile: String) -> Int32 {
            names.append(profile)
            entry.append(nil)
            return Int32(names.count - 1)
        }

        private static func indexed(_ names: [String]) -> [String: Int32] {
            var out: [String: Int32] = [:]
            out.reserveCapacity(names.count)
            for (i, name) in names.enumerated() { out[name] = Int32(i) }
            return out
        }

        private func label(of node: Node) -> String? {
            guard node >= 0, Int(node) < identifiers.count, let id = identifiers[Int(node)] else { return nil }
            return "\(id.kind.rawValue):\(id.value)"
        }

        /// For each node of `other`, this side's node with the same identifier (-1: none). Two
        /// stores built from one log mostly number values alike, so a node is first compared
        /// with the same number here; only the rest are looked up by identifier.
        func counterparts(of other: Side) -> [Int32] {
            var out = [Int32](repeating: -1, count: other.identifiers.count)
            var lookup: [Identifier: Int32]?
            for (o, identifier) in other.identifiers.enumerated() {
                guard let identifier else { continue }
                if o < identifiers.count, identifiers[o] == identifier {
                    out[o] = Int32(o)
                    continue
                }
                if lookup == nil {
                    var made: [Identifier: Int32] = [:]
                    made.reserveCapacity(identifiers.count)
                    for (n, id) in identifiers.enumerated() { if let id { made[id] = Int32(n) } }
                    lookup = made
                }
                out[o] = lookup?[identifier] ?? -1
            }
            return out
        }
    }
}
