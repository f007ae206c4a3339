import KithCore
import NIOCore
import PostgresNIO

/// Writes projection rows into one generation's tables inside a transaction: each kind of row
/// as columns of arrays, `PostgresProjectionStore.rowsPerStatement` rows a statement, taken
/// apart by `unnest` on the server. Absent values travel as a sentinel (`NULLIF`) or, for
/// text, beside a flag, since postgres-nio sends no NULL inside an array. Into a bulk load's
/// fresh tables, the large ones (values, edges, memberships, statistics) go by `COPY` instead.
struct PostgresRowWriter {
    typealias Node = IdentityGraph.Node
    let t: PostgresSession.Transaction
    let g: String
    /// Tables known empty and without their primary keys (a rebuild's load): rows go in with
    /// plain inserts, each statement's `ON CONFLICT` clause left off.
    let fresh: Bool

    init(_ t: PostgresSession.Transaction, g: String, fresh: Bool = false) {
        self.t = t
        self.g = g
        self.fresh = fresh
    }

    /// What stands for NULL in an `int8[]`.
    static let noInteger = Int64.min

    /// Runs `sql` over `rows` a statement's worth at a time; `bind` adds the columns of a part.
    func run<Row>(_ rows: [Row], _ sql: String, _ bind: (ArraySlice<Row>, inout PostgresBindings) -> Void) throws {
        let step = PostgresProjectionStore.rowsPerStatement
        // Every upsert here ends in its ON CONFLICT clause.
        let statement = fresh ? sql.components(separatedBy: "ON CONFLICT")[0] : sql
        for start in stride(from: 0, to: rows.count, by: step) {
            var binds = PostgresBindings()
            bind(rows[start..<min(rows.count, start + step)], &binds)
            try t.query(PostgresQuery(unsafeSQL: statement, binds: binds))
        }
    }

    /// Value rows, replacing what their ids held.
    func upsert(nodes: [ProjectionBatch.NodeRow]) throws {
        if fresh {
            typealias C = PostgresCopyText
            return try t.copy(
                into: "\(g).node",
                columns: [
                    "id", "kind", "value", "first_position", "events", "first_seen", "last_seen", "sources", "names",
                ],
                rows: nodes
            ) { row, b in
                C.integer(Int64(row.node), &b)
                C.tab(&b)
                C.text(row.info.identifier.kind.rawValue, &b)
                C.tab(&b)
                C.text(row.info.identifier.value, &b)
                C.tab(&b)
                C.integer(Int64(row.info.firstSeen), &b)
                C.tab(&b)
                C.integer(Int64(row.info.events), &b)
                C.tab(&b)
                C.text(row.seen.firstSeen?.description, &b)
                C.tab(&b)
                C.text(row.seen.lastSeen?.description, &b)
                C.tab(&b)
                C.text(row.seen.sources.sorted().joined(separator: ","), &b)
                C.tab(&b)
                C.integer(row.info.names.packed, &b)
                C.end(&b)
            }
        }
        try run(
            nodes,
            """
            INSERT INTO \(g).node (id, kind, value, first_position, events, first_seen, last_seen, sources, names)
            SELECT id, kind, value, fp, ev, NULLIF(fs, ''), NULLIF(ls, ''), src, nm
            FROM unnest($1::int8[], $2::text[], $3::text[], $4::int8[], $5::int8[], $6::text[], $7::text[], $8::text[],
              $9::int8[]) AS r (id, kind, value, fp, ev, fs, ls, src, nm)
            ON CONFLICT (id) DO UPDATE SET first_position = excluded.first_position, events = excluded.events,
              first_seen = excluded.first_seen, last_seen = excluded.last_seen, sources = excluded.sources,
              names = excluded.names
            """
        ) { part, binds in
            binds.append(part.map { Int64($0.node) })
            binds.append(part.map(\.info.identifier.kind.rawValue))
            binds.append(part.map(\.info.identifier.value))
            binds.append(part.map { Int64($0.info.firstSeen) })
            binds.append(part.map { Int64($0.info.events) })
            binds.append(part.map { $0.seen.firstSeen?.description ?? "" })
            binds.append(part.map { $0.seen.lastSeen?.description ?? "" })
            binds.append(part.map { $0.seen.sources.sorted().joined(separator: ",") })
            binds.append(part.map(\.info.names.packed))
        }
    }

    /// Edges, each linked if `linked` holds its key or it was linked already.
    func upsert(edges: [(Node, Node, IdentityGraph.EdgeInfo)], linked: Set<UInt64>) throws {
        if fresh {
            typealias C = PostgresCopyText
            return try t.copy(
                into: "\(g).edge", columns: ["a", "b", "events", "first_position", "linked"], rows: edges
            ) { edge, b in
                C.integer(Int64(min(edge.0, edge.1)), &b)
                C.tab(&b)
                C.integer(Int64(max(edge.0, edge.1)), &b)
                C.tab(&b)
                C.integer(Int64(edge.2.count), &b)
                C.tab(&b)
                C.integer(Int64(edge.2.firstEvidence), &b)
                C.tab(&b)
                C.boolean(linked.contains(IdentityGraph.key(edge.0, edge.1)), &b)
                C.end(&b)
            }
        }
        try run(
            edges,
            """
            INSERT INTO \(g).edge (a, b, events, first_position, linked)
            SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[], $4::int8[], $5::bool[])
            ON CONFLICT (a, b) DO UPDATE SET events = excluded.events, first_position = excluded.first_position,
              linked = edge.linked OR excluded.linked
            """
        ) { part, binds in
            binds.append(part.map { Int64(min($0.0, $0.1)) })
            binds.append(part.map { Int64(max($0.0, $0.1)) })
            binds.append(part.map { Int64($0.2.count) })
            binds.append(part.map { Int64($0.2.firstEvidence) })
            binds.append(part.map { linked.contains(IdentityGraph.key($0.0, $0.1)) })
        }
    }

    /// Sets or clears the link flag of these edges (by `IdentityGraph.key`).
    func setLinked(_ keys: [UInt64], to linked: Bool) throws {
        try run(
            keys,
            """
            UPDATE \(g).edge e SET linked = \(linked) FROM unnest($1::int8[], $2::int8[]) AS k (a, b)
            WHERE e.a = k.a AND e.b = k.b
            """, Self.bindEnds)
    }

    /// Statistics with timelines: replacing the statistics and appending to the timeline.
    func upsert(stats: [(Node, NodeStats, [UInt8])]) throws {
        if fresh {
            typealias C = PostgresCopyText
            return try t.copy(into: "\(g).node_stats", columns: ["node", "stats", "timeline"], rows: stats) { row, b in
                C.integer(Int64(row.0), &b)
                C.tab(&b)
                C.bytes(row.1.binaryEncoded(), &b)
                C.tab(&b)
                C.bytes(row.2, &b)
                C.end(&b)
            }
        }
        try run(
            stats,
            """
            INSERT INTO \(g).node_stats (node, stats, timeline)
            SELECT * FROM unnest($1::int8[], $2::bytea[], $3::bytea[])
            ON CONFLICT (node) DO UPDATE SET stats = excluded.stats, timeline = node_stats.timeline || excluded.timeline
            """
        ) { part, binds in
            binds.append(part.map { Int64($0.0) })
            binds.append(part.map { ByteBuffer(bytes: $0.1.binaryEncoded()) })
            binds.append(part.map { ByteBuffer(bytes: $0.2) })
        }
    }

    func upsert(membership: [(Node, String)]) throws {
        if fresh {
            typealias C = PostgresCopyText
            return try t.copy(into: "\(g).membership", columns: ["node", "profile"], rows: membership) { row, b in
                C.integer(Int64(row.0), &b)
                C.tab(&b)
                C.text(row.1, &b)
                C.end(&b)
            }
        }
        try run(
            membership,
            """
            INSERT INTO \(g).membership (node, profile) SELECT * FROM unnest($1::int8[], $2::text[])
            ON CONFLICT (node) DO UPDATE SET profile = excluded.profile
            """
        ) { part, binds in
            binds.append(part.map { Int64($0.0) })
            binds.append(part.map(\.1))
        }
    }

    func delete(from table: String, nodes: [Node]) throws {
        try run(nodes, "DELETE FROM \(g).\(table) WHERE node = ANY($1::int8[])") { part, binds in
            binds.append(part.map { Int64($0) })
        }
    }

    func upsert(excluded: [(Node, IdentityResolver.Standing)]) throws {
        try run(
            excluded.map { ($0.0, StoredStanding($0.1)) },
            """
            INSERT INTO \(g).excluded AS x (node, kind, partners, rule, evidence, evidence_kind, evidence_count, evidence_limit)
            SELECT node, kind, NULLIF(partners, \(Self.noInteger)), CASE WHEN has_rule THEN rule END,
              NULLIF(evidence, \(Self.noInteger)), CASE WHEN has_evidence_kind THEN evidence_kind END,
              NULLIF(evidence_count, \(Self.noInteger)), NULLIF(evidence_limit, \(Self.noInteger))
            FROM unnest($1::int8[], $2::int4[], $3::int8[], $4::text[], $5::bool[], $6::int8[], $7::text[], $8::bool[],
              $9::int8[], $10::int8[])
              AS r (node, kind, partners, rule, has_rule, evidence, evidence_kind, has_evidence_kind, evidence_count,
                evidence_limit)
            ON CONFLICT (node) DO UPDATE SET kind = excluded.kind, partners = excluded.partners, rule = excluded.rule,
              evidence = excluded.evidence, evidence_kind = excluded.evidence_kind,
              evidence_count = excluded.evidence_count, evidence_limit = excluded.evidence_limit
            """
        ) { part, binds in
            func integer(_ v: Int?) -> Int64 { v.map { Int64($0) } ?? Self.noInteger }
            binds.append(part.map { Int64($0.0) })
            binds.append(part.map { Int32($0.1.kind) })
            binds.append(part.map { integer($0.1.partners) })
            binds.append(part.map { $0.1.rule ?? "" })
            binds.append(part.map { $0.1.rule != nil })
            binds.append(part.map { integer($0.1.evidence) })
            binds.append(part.map { $0.1.evidenceKind ?? "" })
            binds.append(part.map { $0.1.evidenceKind != nil })
            binds.append(part.map { integer($0.1.evidenceCount) })
            binds.append(part.map { integer($0.1.evidenceLimit) })
        }
    }

    func upsert(refused: [(UInt64, String)]) throws {
        try run(
            refused,
            """
            INSERT INTO \(g).refused_link (a, b, rule) SELECT * FROM unnest($1::int8[], $2::int8[], $3::text[])
            ON CONFLICT (a, b) DO UPDATE SET rule = excluded.rule
            """
        ) { part, binds in
            Self.bindEnds(part.map(\.0)[...], &binds)
            binds.append(part.map(\.1))
        }
    }

    func deleteRefused(_ keys: [UInt64]) throws {
        try run(
            keys,
            """
            DELETE FROM \(g).refused_link r USING unnest($1::int8[], $2::int8[]) AS k (a, b)
            WHERE r.a = k.a AND r.b = k.b
            """, Self.bindEnds)
    }

    func insert(profiles: [(id: String, anchor: Node, position: UInt64)]) throws {
        try run(
            profiles,
            """
            INSERT INTO \(g).profile_id (id, anchor, created_position)
            SELECT * FROM unnest($1::text[], $2::int8[], $3::int8[]) ON CONFLICT (id) DO NOTHING
            """
        ) { part, binds in
            binds.append(part.map(\.id))
            binds.append(part.map { Int64($0.anchor) })
            binds.append(part.map { Int64($0.position) })
        }
    }

    /// Merges and splits, numbered on from the last one stored, in order.
    func insert(changes: [ProjectionBatch.Change]) throws {
        try run(
            changes,
            """
            INSERT INTO \(g).profile_change (seq, position, kind, profile, others)
            SELECT (SELECT coalesce(max(seq), 0) FROM \(g).profile_change) + r.n, r.position, r.kind, r.profile, r.others
            FROM unnest($1::int8[], $2::int4[], $3::text[], $4::text[]) WITH ORDINALITY
              AS r (position, kind, profile, others, n)
            """
        ) { part, binds in
            binds.append(part.map { Int64($0.position) })
            binds.append(part.map { Int32($0.kind.rawValue) })
            binds.append(part.map(\.profile))
            binds.append(part.map { $0.others.joined(separator: ",") })
        }
    }

    func upsert(nodeRFM: [(Node, RFMRaw)]) throws {
        try upsertRFM(into: "node_rfm", keyedBy: "node", ofType: "int8", nodeRFM.map { (Int64($0.0), $0.1) })
    }

    func upsert(profileRFM: [(String, RFMRaw)]) throws {
        try upsertRFM(into: "profile_rfm", keyedBy: "profile", ofType: "text", profileRFM)
    }

    /// RFM inputs into `node_rfm` or `profile_rfm`, replacing what their keys held.
    private func upsertRFM<Key: PostgresArrayEncodable & PostgresNonThrowingEncodable>(
        into table: String, keyedBy column: String, ofType type: String, _ rows: [(Key, RFMRaw)]
    ) throws {
        try run(
            rows,
            """
            INSERT INTO \(g).\(table) (\(column), orders, last_order, monetary)
            SELECT k, orders, NULLIF(last_order, \(Self.noInteger)), monetary
            FROM unnest($1::\(type)[], $2::int8[], $3::int8[], $4::int8[]) AS r (k, orders, last_order, monetary)
            ON CONFLICT (\(column)) DO UPDATE SET orders = excluded.orders, last_order = excluded.last_order,
              monetary = excluded.monetary
            """
        ) { part, binds in
            binds.append(part.map(\.0))
            binds.append(part.map { Int64($0.1.orders) })
            binds.append(part.map { $0.1.lastOrder ?? Self.noInteger })
            binds.append(part.map(\.1.monetary))
        }
    }

    func deleteProfileRFM(_ profiles: [String]) throws {
        try run(profiles, "DELETE FROM \(g).profile_rfm WHERE profile = ANY($1::text[])") { part, binds in
            binds.append(Array(part))
        }
    }

    /// An edge key's two ends as two `int8[]` (see `IdentityGraph.key`).
    static func bindEnds(_ keys: ArraySlice<UInt64>, _ binds: inout PostgresBindings) {
        let ends = keys.map { IdentityGraph.ends(of: $0) }
        binds.append(ends.map { Int64($0.0) })
        binds.append(ends.map { Int64($0.1) })
    }
}
