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
        var names: [String] = []
        var index: [String: Int32] = [:]
        /// Each profile's RFM segment and stage (nil: no RFM row, not counted as a profile).
        var entry: [Entry?] = []
        var refused: [Refusal] = []

        var entryCount: Int { entry.lazy.filter { $0 != nil }.count }

        init(_ store: some ProfileQueries) throws {
            var side = Side()
            try store.reading { snapshot in
                let model = try snapshot.rfmModel()
                side.position = try snapshot.checkpoint()
                try snapshot.forEachNode { node, info in
                    let i = Int(node)
                    if i >= side.identifiers.count {
                        side.identifiers.append(contentsOf: repeatElement(nil, count: i + 1 - side.identifiers.count))
                    }
                    side.identifiers[i] = info.identifier
                }
                side.member = [Int32](repeating: -1, count: side.identifiers.count)
                try snapshot.forEachMember { node, profile in
                    guard node >= 0, Int(node) < side.identifiers.count, side.identifiers[Int(node)] != nil else {
                        return
                    }
                    side.member[Int(node)] = side.intern(profile)
                }
                try snapshot.forEachRefusedLink { a, b, rule in
                    guard let p = side.label(of: a), let q = side.label(of: b) else { return }
                    side.refused.append(
                        p < q
                            ? Refusal(pair: Pair(a: p, b: q), first: a, second: b, rule: rule)
                            : Refusal(pair: Pair(a: q, b: p), first: b, second: a, rule: rule))
                }
                try snapshot.forEachProfileRFM(after: nil) { profile, raw in
                    let i = Int(side.intern(profile))
                    side.entry[i] = Entry(
                        segment: model?.score(raw)?.segment,
                        stage: model?.stage(raw) ?? LifecycleStage(raw, asOf: 0, rules: .init()))
                    return true
                }
            }
            self = side
        }

        private init() {}

        private mutating func intern(_ profile: String) -> Int32 {
            if let known = index[profile] { return known }
            let i = Int32(names.count)
            names.append(profile)
            entry.append(nil)
            index[profile] = i
            return i
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
