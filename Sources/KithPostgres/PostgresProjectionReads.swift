import KithCore
import NIOCore
import PostgresNIO

/// The reads the projector and lookups share, over one generation's tables: each one
/// statement, however many values it asks about (their ids go as one array).
struct PostgresProjectionReads {
    typealias Node = IdentityGraph.Node
    /// Runs a statement in whatever transaction the caller is in, or none.
    let run: (PostgresQuery) throws -> [PostgresRow]
    /// The generation's schema.
    let g: String

    static let nodeColumns = "id, kind, value, first_position, events, names"

    func nodes(identifiedBy identifiers: [Identifier]) throws -> [Node: IdentityGraph.NodeInfo] {
        guard !identifiers.isEmpty else { return [:] }
        var binds = PostgresBindings()
        binds.append(identifiers.map(\.kind.rawValue))
        binds.append(identifiers.map(\.value))
        let rows = try run(
            PostgresQuery(
                unsafeSQL: """
                    SELECT \(Self.nodeColumns) FROM \(g).node
                    WHERE (kind, value) IN (SELECT * FROM unnest($1::text[], $2::text[]))
                    """, binds: binds))
        return try Self.nodeInfos(rows)
    }

    func nodes(_ ids: [Node]) throws -> [Node: IdentityGraph.NodeInfo] {
        guard !ids.isEmpty else { return [:] }
        return try Self.nodeInfos(
            run(
                PostgresQuery(
                    unsafeSQL: "SELECT \(Self.nodeColumns) FROM \(g).node WHERE id = ANY($1::int8[])",
                    binds: Self.ids(ids))))
    }

    static func nodeInfos(_ rows: [PostgresRow]) throws -> [Node: IdentityGraph.NodeInfo] {
        var out: [Node: IdentityGraph.NodeInfo] = [:]
        for row in rows {
            let (id, info) = try nodeInfo(row)
            out[id] = info
        }
        return out
    }

    /// A row of `nodeColumns`.
    static func nodeInfo(_ row: PostgresRow) throws -> (Node, IdentityGraph.NodeInfo) {
        let (id, kind, value, first, events, names) = try row.decode((Int64, String, String, Int64, Int64, Int64).self)
        return (
            Node(id),
            IdentityGraph.NodeInfo(
                identifier: Identifier(IdentifierKind(rawValue: kind), value), firstSeen: UInt64(first),
                events: Int(events), names: NameEvidence(packed: names))
        )
    }

    func neighbourhood(of nodes: [Node]) throws -> Neighbourhood {
        var out = Neighbourhood()
        guard !nodes.isEmpty else { return out }
        let ids = Self.ids(nodes)
        // Each edge once, whichever end matched.
        for row in try run(
            PostgresQuery(
                unsafeSQL: """
                    SELECT a, b, events, first_position, linked FROM \(g).edge WHERE a = ANY($1::int8[])
                    UNION SELECT a, b, events, first_position, linked FROM \(g).edge WHERE b = ANY($1::int8[])
                    """, binds: ids))
        {
            let (a, b, events, first, linked) = try row.decode((Int64, Int64, Int64, Int64, Bool).self)
            out.edges.append(
                (Node(a), Node(b), IdentityGraph.EdgeInfo(count: Int(events), firstEvidence: UInt64(first))))
            if linked { out.links.append(IdentityGraph.key(Node(a), Node(b))) }
        }
        for row in try run(
            PostgresQuery(
                unsafeSQL: """
                    SELECT a, b, rule FROM \(g).refused_link WHERE a = ANY($1::int8[])
                    UNION SELECT a, b, rule FROM \(g).refused_link WHERE b = ANY($1::int8[])
                    """, binds: ids))
        {
            let (a, b, rule) = try row.decode((Int64, Int64, String).self)
            out.refused.append((IdentityGraph.key(Node(a), Node(b)), rule))
        }
        out.membership = try profiles(of: nodes).map { ($0.key, $0.value) }
        out.excluded = try standings(of: nodes).map { ($0.key, $0.value) }
        return out
    }

    func profiles(of nodes: [Node]) throws -> [Node: String] {
        guard !nodes.isEmpty else { return [:] }
        var out: [Node: String] = [:]
        for row in try run(
            PostgresQuery(
                unsafeSQL: "SELECT node, profile FROM \(g).membership WHERE node = ANY($1::int8[])",
                binds: Self.ids(nodes)))
        {
            let (node, profile) = try row.decode((Int64, String).self)
            out[Node(node)] = profile
        }
        return out
    }

    static let standingColumns = "kind, partners, rule, evidence, evidence_kind, evidence_count, evidence_limit"

    func standings(of nodes: [Node]) throws -> [Node: IdentityResolver.Standing] {
        guard !nodes.isEmpty else { return [:] }
        var out: [Node: IdentityResolver.Standing] = [:]
        for row in try run(
            PostgresQuery(
                unsafeSQL: "SELECT node, \(Self.standingColumns) FROM \(g).excluded WHERE node = ANY($1::int8[])",
                binds: Self.ids(nodes)))
        {
            let (node, standing) = try Self.standing(row)
            out[node] = standing
        }
        return out
    }

    /// A row of the value, then `standingColumns`.
    static func standing(_ row: PostgresRow) throws -> (Node, IdentityResolver.Standing) {
        let (node, kind, partners, rule, evidence, evidenceKind, count, limit) = try row.decode(
            (Int64, Int, Int?, String?, Int?, String?, Int?, Int?).self)
        let stored = StoredStanding(
            kind: kind, partners: partners, rule: rule, evidence: evidence, evidenceKind: evidenceKind,
            evidenceCount: count, evidenceLimit: limit)
        guard let standing = stored.standing else {
            throw ProjectionError(.needsRebuild, "value \(node) has a standing no version of Kith wrote (kind \(kind))")
        }
        return (Node(node), standing)
    }

    /// Binds `nodes` as one `int8[]`.
    static func ids(_ nodes: [Node]) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(nodes.map { Int64($0) })
        return binds
    }

    /// A value's `first_seen`, `last_seen` and `sources` columns.
    static func seen(first: String?, last: String?, sources: String) -> NodeSeen {
        NodeSeen(
            firstSeen: first.flatMap { try? Timestamp.parse($0).get() },
            lastSeen: last.flatMap { try? Timestamp.parse($0).get() },
            sources: Set(sources.split(separator: ",").map(String.init)))
    }

    /// The columns `storedValue` reads, for a query over `membership m`, `node n` and
    /// `node_stats s`.
    static let storedValueColumns =
        "n.id, n.kind, n.value, n.first_position, n.events, n.names, n.first_seen, n.last_seen, n.sources, s.stats"

    /// A row of `storedValueColumns`, decoded.
    typealias StoredValueRow = (Int64, String, String, Int64, Int64, Int64, String?, String?, String, ByteBuffer?)

    static func storedValue(_ row: PostgresRow, profile: String) throws -> StoredValue {
        try storedValue(row.decode(StoredValueRow.self), profile: profile)
    }

    /// A value with everything a profile view shows of it.
    static func storedValue(_ c: StoredValueRow, profile: String) throws -> StoredValue {
        var decoded: NodeStats?
        if let stats = c.9 {
            guard let known = NodeStats(binary: Array(stats.readableBytesView)) else {
                throw ProjectionError(.needsRebuild, "profile \(profile)'s statistics are damaged")
            }
            decoded = known
        }
        return StoredValue(
            node: Node(c.0),
            info: IdentityGraph.NodeInfo(
                identifier: Identifier(IdentifierKind(rawValue: c.1), c.2), firstSeen: UInt64(c.3),
                events: Int(c.4), names: NameEvidence(packed: c.5)),
            seen: seen(first: c.6, last: c.7, sources: c.8), stats: decoded)
    }

    /// A `profile_change` row (position, kind, profile, others).
    static func change(_ row: PostgresRow) throws -> ProjectionBatch.Change {
        let (position, kind, profile, others) = try row.decode((Int64, Int, String, String).self)
        guard let known = ProjectionBatch.Change.Kind(rawValue: kind) else {
            throw ProjectionError(
                .needsRebuild, "profile \(profile) has a change of kind \(kind), which no version of Kith wrote")
        }
        return ProjectionBatch.Change(
            position: UInt64(position), kind: known, profile: profile,
            others: others.split(separator: ",").map(String.init))
    }
}
