import GRDB
import KithCore

extension SQLiteProjectionStore {
    public func commit(_ batch: ProjectionBatch, rulesHash: String) throws {
        try pool.write { db in try Self.write(batch, rulesHash: rulesHash, db) }
    }

    /// Writes a batch's rows and its checkpoint (the caller holds the transaction).
    static func write(_ batch: ProjectionBatch, rulesHash: String, _ db: Database) throws {
        let node = try nodeWriter(db, rowsPerStep: RowWriter.bulkRows)
        for n in batch.nodes { try insert(n, with: node) }
        try node.flush()
        // A link is a flag on its edge (the resolver only links values seen together): a link
        // table beside the edges cost a rebuild a row and an index entry per link, 3.4M each at
        // 1,000,000 people. Links added on an edge the batch writes go in with it; the rest, and
        // links removed, update their edge.
        let added = batch.linksAdded
        var addedWithEdge = [Bool](repeating: false, count: added.count)
        try RowWriter.batching(
            db,
            """
            INSERT INTO edge (a, b, events, first_position, linked) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT(a, b) DO UPDATE SET events = excluded.events, first_position = excluded.first_position,
              linked = edge.linked | excluded.linked
            """
        ) { edge in
            for (a, b, info) in batch.edges {
                let i = added.firstIndex(notBelow: IdentityGraph.key(a, b))
                let linked = i < added.count && added[i] == IdentityGraph.key(a, b)
                if linked { addedWithEdge[i] = true }
                try edge.run(
                    .integer(Int64(min(a, b))), .integer(Int64(max(a, b))), .integer(Int64(info.count)),
                    .integer(Int64(info.firstEvidence)), .integer(linked ? 1 : 0))
            }
        }
        let link = try RowWriter(db, "UPDATE edge SET linked = 1 WHERE a = ? AND b = ?")
        for (k, withEdge) in zip(added, addedWithEdge) where !withEdge { try link.run(ends(k).a, ends(k).b) }
        let unlink = try RowWriter(db, "UPDATE edge SET linked = 0 WHERE a = ? AND b = ?")
        for k in batch.linksRemoved { try unlink.run(ends(k).a, ends(k).b) }
        let stats = try statsWriter(db, rowsPerStep: RowWriter.bulkRows)
        for (n, s) in batch.stats { try insert(s, timeline: batch.timeline[n] ?? [], of: n, with: stats) }
        try stats.flush()
        try RowWriter.batching(db, "INSERT OR REPLACE INTO membership (node, profile) VALUES (?, ?)") { member in
            for (n, p) in batch.membership { try member.run(.integer(Int64(n)), .text(p)) }
        }
        let unmember = try RowWriter(db, "DELETE FROM membership WHERE node = ?")
        for n in batch.membershipRemoved { try unmember.run(.integer(Int64(n))) }
        try RowWriter.batching(
            db, "INSERT OR REPLACE INTO excluded (node, \(StoredStanding.selection)) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        ) { excluded in
            for (n, s) in batch.excluded { try excluded.run([.integer(Int64(n))] + StoredStanding(s).columns) }
        }
        let unexclude = try RowWriter(db, "DELETE FROM excluded WHERE node = ?")
        for n in batch.excludedRemoved { try unexclude.run(.integer(Int64(n))) }
        try RowWriter.batching(db, "INSERT OR REPLACE INTO refused_link (a, b, rule) VALUES (?, ?, ?)") { refused in
            for (k, rule) in batch.refused { try refused.run(ends(k).a, ends(k).b, .text(rule)) }
        }
        let unrefuse = try RowWriter(db, "DELETE FROM refused_link WHERE a = ? AND b = ?")
        for k in batch.refusedRemoved { try unrefuse.run(ends(k).a, ends(k).b) }
        try RowWriter.batching(
            db, "INSERT OR IGNORE INTO profile_id (id, anchor, created_position) VALUES (?, ?, ?)"
        ) { profile in
            for p in batch.newProfiles {
                try profile.run(.text(p.id), .integer(Int64(p.anchor)), .integer(Int64(p.position)))
            }
        }
        try RowWriter.batching(
            db, "INSERT INTO profile_change (position, kind, profile, others) VALUES (?, ?, ?, ?)"
        ) { change in
            for c in batch.changes {
                try change.run(
                    .integer(Int64(c.position)), .integer(Int64(c.kind.rawValue)), .text(c.profile),
                    .text(c.others.joined(separator: ",")))
            }
        }
        try RowWriter.batching(
            db, "INSERT OR REPLACE INTO node_rfm (node, orders, last_order, monetary) VALUES (?, ?, ?, ?)"
        ) { nodeRFM in
            for (n, r) in batch.nodeRFM {
                try nodeRFM.run(
                    .integer(Int64(n)), .integer(Int64(r.orders)), integer(r.lastOrder), .integer(r.monetary))
            }
        }
        try RowWriter.batching(
            db, "INSERT OR REPLACE INTO profile_rfm (profile, orders, last_order, monetary) VALUES (?, ?, ?, ?)"
        ) { profileRFM in
            for (p, r) in batch.profileRFM {
                try profileRFM.run(.text(p), .integer(Int64(r.orders)), integer(r.lastOrder), .integer(r.monetary))
            }
        }
        let unprofileRFM = try RowWriter(db, "DELETE FROM profile_rfm WHERE profile = ?")
        for p in batch.profileRFMRemoved { try unprofileRFM.run(.text(p)) }
        try RowWriter(
            db, "INSERT OR REPLACE INTO checkpoint (name, position, rules_hash, last_line) VALUES ('main', ?, ?, ?)"
        )
        .run(
            .integer(Int64(batch.endPosition)), .text(rulesHash), batch.lastLine.map { .blob($0.storedBytes) } ?? .null)
    }

    /// Writes value rows; a bulk writer (`rowsPerStep` above one) must be flushed.
    static func nodeWriter(_ db: Database, rowsPerStep: Int) throws -> RowWriter {
        try RowWriter(
            db,
            """
            INSERT INTO node (id, kind, value, first_position, events, first_seen, last_seen, sources, names)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(id) DO UPDATE SET first_position = excluded.first_position, events = excluded.events,
              first_seen = excluded.first_seen, last_seen = excluded.last_seen, sources = excluded.sources,
              names = excluded.names
            """, rowsPerStep: rowsPerStep)
    }

    /// Replaces a value's statistics and appends to its timeline (`||` joins the bytes as text;
    /// the cast gives them back as a blob, unchanged). A bulk writer must be flushed.
    static func statsWriter(_ db: Database, rowsPerStep: Int) throws -> RowWriter {
        try RowWriter(
            db,
            """
            INSERT INTO node_stats (node, stats, timeline) VALUES (?, ?, ?)
            ON CONFLICT(node) DO UPDATE SET
              stats = excluded.stats, timeline = CAST(node_stats.timeline || excluded.timeline AS BLOB)
            """, rowsPerStep: rowsPerStep)
    }

    static func insert(_ n: ProjectionBatch.NodeRow, with writer: RowWriter) throws {
        try writer.run(
            .integer(Int64(n.node)), .text(n.info.identifier.kind.rawValue), .text(n.info.identifier.value),
            .integer(Int64(n.info.firstSeen)), .integer(Int64(n.info.events)), text(n.seen.firstSeen),
            text(n.seen.lastSeen), .text(n.seen.sources.sorted().joined(separator: ",")), .integer(n.info.names.packed))
    }

    static func insert(_ stats: NodeStats, timeline: [UInt8], of node: IdentityGraph.Node, with writer: RowWriter)
        throws
    {
        try writer.run(.integer(Int64(node)), .blob(stats.binaryEncoded()), .blob(timeline))
    }

    /// An edge key's two ends as bound values (see `IdentityGraph.key`).
    private static func ends(_ key: UInt64) -> (a: RowWriter.Value, b: RowWriter.Value) {
        let (a, b) = IdentityGraph.ends(of: key)
        return (.integer(Int64(a)), .integer(Int64(b)))
    }

    private static func integer(_ value: Int64?) -> RowWriter.Value { value.map { .integer($0) } ?? .null }

    private static func text(_ time: Timestamp?) -> RowWriter.Value { time.map { .time($0) } ?? .null }
}

extension [UInt64] {
    /// The index of the first element not below `key`, in these sorted elements (`count` when
    /// every one is below).
    fileprivate func firstIndex(notBelow key: UInt64) -> Int {
        var (low, high) = (0, count)
        while low < high {
            let mid = (low + high) / 2
            if self[mid] < key { low = mid + 1 } else { high = mid }
        }
        return low
    }
}
