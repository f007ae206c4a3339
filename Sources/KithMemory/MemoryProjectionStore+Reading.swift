import Foundation
import KithCore

extension MemoryProjectionStore: ProfileQueries {
    /// The tables as the last commit left them: copying Swift's dictionaries is constant time
    /// (they are copied on write), so a snapshot costs nothing and never sees a later commit.
    public func reading<T>(_ body: (any ProfileSnapshot) throws -> T) throws -> T {
        let snapshot = lock.withLock {
            Snapshot(
                position: checkpoint?.position ?? 0, nodes: nodes, nodeByIdentifier: nodeByIdentifier, edges: edges,
                edgesAt: edgesAt, statistics: statistics, timelines: timelines, membership: membership,
                excluded: excluded, links: links, refused: refused, profiles: profiles, changeLog: changeLog,
                profileRFM: profileRFM, view: view, rulesHistory: rulesHistory)
        }
        return try body(snapshot)
    }

    /// The read side over copies of the tables: a plain lookup for each fact.
    struct Snapshot: ProfileSnapshot {
        let position: UInt64
        let nodes: [Node: (info: IdentityGraph.NodeInfo, seen: NodeSeen)]
        let nodeByIdentifier: [Identifier: Node]
        let edges: [UInt64: IdentityGraph.EdgeInfo]
        let edgesAt: [Node: Set<UInt64>]
        let statistics: [Node: NodeStats]
        let timelines: [Node: [UInt8]]
        let membership: [Node: String]
        let excluded: [Node: IdentityResolver.Standing]
        let links: Set<UInt64>
        let refused: [UInt64: String]
        let profiles: [String: (anchor: Node, position: UInt64)]
        let changeLog: [ProjectionBatch.Change]
        let profileRFM: [String: RFMRaw]
        let view: RFMView?
        let rulesHistory: [AppliedRules]

        func checkpoint() throws -> UInt64 { position }

        func nodes(identifiedBy identifiers: [Identifier]) throws -> [Node: IdentityGraph.NodeInfo] {
            try nodes(identifiers.compactMap { nodeByIdentifier[$0] })
        }

        func nodes(_ ids: [Node]) throws -> [Node: IdentityGraph.NodeInfo] {
            pick(ids) { nodes[$0]?.info }
        }

        func neighbourhood(of around: [Node]) throws -> Neighbourhood {
            MemoryProjectionStore.neighbourhood(
                of: around, edgesAt: edgesAt, edges: edges, links: links, refused: refused, membership: membership,
                excluded: excluded)
        }

        func profiles(of ids: [Node]) throws -> [Node: String] { pick(ids) { membership[$0] } }

        func standings(of ids: [Node]) throws -> [Node: IdentityResolver.Standing] { pick(ids) { excluded[$0] } }

        func anchor(ofProfileID id: String) throws -> Node? { profiles[id]?.anchor }

        func changes(of profile: String) throws -> [ProjectionBatch.Change] {
            changeLog.filter { $0.profile == profile }
        }

        func members(of profile: String) throws -> [Node] {
            membership.compactMap { $0.value == profile ? $0.key : nil }.sorted()
        }

        func timelines(of ids: [Node]) throws -> [Node: [UInt8]] {
            pick(ids) { timelines[$0] }
        }

        func rfmModel() throws -> RFMModel? { view?.model }

        func rfmView() throws -> RFMView? { view }

        func forEachProfileRFM(after: String?, _ body: (String, RFMRaw) throws -> Bool) throws {
            let after = Array((after ?? "").utf8)
            let ordered = profileRFM.map { (id: Array($0.key.utf8), profile: $0.key, raw: $0.value) }
                .filter { after.lexicographicallyPrecedes($0.id) }
                .sorted { $0.id.lexicographicallyPrecedes($1.id) }
            for entry in ordered where try !body(entry.profile, entry.raw) { return }
        }

        func forEachRFMRaw(_ body: (RFMRaw) throws -> Void) throws {
            for raw in profileRFM.values { try body(raw) }
        }

        func rulesApplied() throws -> [AppliedRules] { rulesHistory.reversed() }

        func valueCount() throws -> Int { (nodes.keys.max().map { Int($0) + 1 }) ?? 0 }

        func forEachNode(_ body: (Node, IdentityGraph.NodeInfo) throws -> Void) throws {
            for (node, stored) in nodes.sorted(by: { $0.key < $1.key }) { try body(node, stored.info) }
        }

        func forEachMember(_ body: (Node, String) throws -> Void) throws {
            let ordered = membership.sorted {
                $0.value == $1.value ? $0.key < $1.key : $0.value.utf8.lexicographicallyPrecedes($1.value.utf8)
            }
            for (node, profile) in ordered { try body(node, profile) }
        }

        func forEachEdge(_ body: (Node, Node, IdentityGraph.EdgeInfo) throws -> Void) throws {
            for (key, info) in edges {
                let (a, b) = IdentityGraph.ends(of: key)
                try body(a, b, info)
            }
        }

        func forEachLink(_ body: (Node, Node) throws -> Void) throws {
            for key in links {
                let (a, b) = IdentityGraph.ends(of: key)
                try body(a, b)
            }
        }

        func forEachRefusedLink(_ body: (Node, Node, String) throws -> Void) throws {
            for (key, rule) in refused {
                let (a, b) = IdentityGraph.ends(of: key)
                try body(a, b, rule)
            }
        }

        func forEachStanding(_ body: (Node, IdentityResolver.Standing) throws -> Void) throws {
            for (node, standing) in excluded { try body(node, standing) }
        }

        func forEachChange(_ body: (ProjectionBatch.Change) throws -> Void) throws {
            for change in changeLog { try body(change) }
        }

        func values(of profile: String) throws -> [StoredValue] { values(try members(of: profile)) }

        func forEachProfile(_ body: (String, [StoredValue]) throws -> Void) throws {
            var byProfile: [String: [Node]] = [:]
            for (node, profile) in membership { byProfile[profile, default: []].append(node) }
            for profile in byProfile.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                try body(profile, values(byProfile[profile] ?? []))
            }
        }

        /// These values with their facts, by kind, then value (byte order, as SQLite sorts).
        private func values(_ members: [Node]) -> [StoredValue] {
            var values: [StoredValue] = []
            for node in members {
                guard let stored = nodes[node] else { continue }
                values.append(StoredValue(node: node, info: stored.info, seen: stored.seen, stats: statistics[node]))
            }
            return values.sorted { a, b in
                let (x, y) = (a.info.identifier, b.info.identifier)
                if x.kind != y.kind { return x.kind.rawValue.utf8.lexicographicallyPrecedes(y.kind.rawValue.utf8) }
                return x.value.utf8.lexicographicallyPrecedes(y.value.utf8)
            }
        }

        private func pick<V>(_ ids: [Node], _ value: (Node) -> V?) -> [Node: V] {
            var out: [Node: V] = [:]
            for id in ids { if let v = value(id) { out[id] = v } }
            return out
        }
    }
}

extension MemoryProjectionStore {
    /// The stored graph around some values, from the tables given (the store's own, or a
    /// snapshot's).
    static func neighbourhood(
        of around: [Node], edgesAt: [Node: Set<UInt64>], edges: [UInt64: IdentityGraph.EdgeInfo], links: Set<UInt64>,
        refused: [UInt64: String], membership: [Node: String], excluded: [Node: IdentityResolver.Standing]
    ) -> Neighbourhood {
        var out = Neighbourhood()
        var keys = Set<UInt64>()
        for n in around { keys.formUnion(edgesAt[n] ?? []) }
        for key in keys.sorted() {
            let (a, b) = IdentityGraph.ends(of: key)
            if let info = edges[key] { out.edges.append((a, b, info)) }
            if links.contains(key) { out.links.append(key) }
            if let rule = refused[key] { out.refused.append((key, rule)) }
        }
        for n in Set(around).sorted() {
            if let profile = membership[n] { out.membership.append((n, profile)) }
            if let standing = excluded[n] { out.excluded.append((n, standing)) }
        }
        return out
    }
}
