import KithCore
import PostgresNIO

extension PostgresProjectionStore {
    public func commit(_ batch: ProjectionBatch, rulesHash: String) throws {
        try session.transaction(doing: "committing a projection batch") { t in
            try inForce(t)
            try checkContinuity(t)
            try write(batch, rulesHash: rulesHash, in: t)
        }
        committed(upTo: batch.endPosition)
    }

    /// Takes the store's lock and checks that this handle's generation is still the one in
    /// force (a handle that loads a generation writes it alone): a rebuild elsewhere since this
    /// handle opened would otherwise have this batch land in a generation no one reads.
    func inForce(_ t: PostgresSession.Transaction) throws {
        try Self.takeTheLock(location.schema, t)
        guard !loadsInBulk else { return }
        let current = try Self.generationInForce(location.schema, t)
        guard current == generation else {
            throw ProjectionError(
                .overtaken,
                "\(location): the projections were rebuilt elsewhere (generation \(current.map(String.init) ?? "none") is in force, this process opened \(generation)); run the command again"
            )
        }
    }

    /// Writes a batch's rows and its checkpoint, in the order the SQLite store does (the
    /// caller holds the transaction).
    func write(
        _ batch: ProjectionBatch, rulesHash: String, in t: PostgresSession.Transaction, fresh: Bool = false
    ) throws {
        let writer = PostgresRowWriter(t, g: g, fresh: fresh)
        try writer.upsert(nodes: lastOfEach(batch.nodes, by: \.node))
        // A link is a flag on its edge: links added on an edge the batch writes go in with it;
        // the rest, and links removed, update their edge.
        let added = Set(batch.linksAdded)
        let edges = lastOfEach(batch.edges) { IdentityGraph.key($0.0, $0.1) }
        let written = Set(edges.map { IdentityGraph.key($0.0, $0.1) })
        try writer.upsert(edges: edges, linked: added)
        try writer.setLinked(batch.linksAdded.filter { !written.contains($0) }, to: true)
        try writer.setLinked(batch.linksRemoved, to: false)
        try writer.upsert(stats: lastOfEach(batch.stats, by: \.0).map { ($0.0, $0.1, batch.timeline[$0.0] ?? []) })
        try writer.upsert(membership: lastOfEach(batch.membership, by: \.0))
        try writer.delete(from: "membership", nodes: batch.membershipRemoved)
        try writer.upsert(excluded: lastOfEach(batch.excluded, by: \.0))
        try writer.delete(from: "excluded", nodes: batch.excludedRemoved)
        try writer.upsert(refused: lastOfEach(batch.refused, by: \.0))
        try writer.deleteRefused(batch.refusedRemoved)
        try writer.insert(profiles: batch.newProfiles)
        try writer.insert(changes: batch.changes)
        try writer.upsert(nodeRFM: lastOfEach(batch.nodeRFM, by: \.0))
        try writer.upsert(profileRFM: lastOfEach(batch.profileRFM, by: \.0))
        try writer.deleteProfileRFM(batch.profileRFMRemoved)
        var binds = PostgresBindings()
        binds.append(Int64(batch.endPosition))
        binds.append(rulesHash)
        binds.append(batch.lastLine.map { ByteBuffer(bytes: $0.storedBytes) })
        try t.query(
            PostgresQuery(
                unsafeSQL: """
                    INSERT INTO \(g).checkpoint (name, position, rules_hash, last_line) VALUES ('main', $1, $2, $3)
                    ON CONFLICT (name) DO UPDATE SET position = excluded.position, rules_hash = excluded.rules_hash,
                      last_line = excluded.last_line
                    """, binds: binds))
    }

    /// The last row for each key, in the order the keys first came: an upsert statement may
    /// not touch a row twice, where SQLite's row-by-row upserts let the last one win.
    private func lastOfEach<Row, Key: Hashable>(_ rows: [Row], by key: (Row) -> Key) -> [Row] {
        var at: [Key: Int] = [:]
        at.reserveCapacity(rows.count)
        var out: [Row] = []
        out.reserveCapacity(rows.count)
        for row in rows {
            let k = key(row)
            if let i = at[k] {
                out[i] = row
            } else {
                at[k] = out.count
                out.append(row)
            }
        }
        return out
    }

    private func lastOfEach<Row, Key: Hashable>(_ rows: [Row], by key: KeyPath<Row, Key>) -> [Row] {
        lastOfEach(rows) { $0[keyPath: key] }
    }
}
