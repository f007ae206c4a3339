import GRDB
import KithCore

extension SQLiteProjectionStore {
    /// Fills the empty store in one transaction. Secondary indexes are dropped first and built
    /// again at the end (sorting once is several times faster than keeping them up to date row
    /// by row), with the SQL the migrations gave them.
    public func commitRebuild(rulesHash: String, _ produce: (any RebuildSink) throws -> ProjectionBatch) throws {
        try pool.write { db in
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM checkpoint") ?? 0 > 0 {
                throw ProjectionError(
                    .refused, "a rebuild needs an empty projection store; \(path) already holds a projection")
            }
            let indexes = try Row.fetchAll(
                db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
            ).map { (name: $0[0] as String, sql: $0[1] as String) }
            for index in indexes { try db.execute(sql: "DROP INDEX \(index.name)") }
            let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
            try db.execute(sql: "PRAGMA cache_size = -65536")  // 64 MiB while the tables grow
            defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }
            let sink = try Sink(db)
            let batch = try produce(sink)
            try sink.flush()
            try Self.write(batch, rulesHash: rulesHash, db)
            for index in indexes { try db.execute(sql: index.sql) }
        }
    }

    /// Writes straight into the rebuild's transaction, with the statements a batch uses, many
    /// rows a statement.
    private final class Sink: RebuildSink {
        let node: RowWriter
        let stats: RowWriter

        init(_ db: Database) throws {
            node = try SQLiteProjectionStore.nodeWriter(db, rowsPerStep: RowWriter.bulkRows)
            stats = try SQLiteProjectionStore.statsWriter(db, rowsPerStep: RowWriter.bulkRows)
        }

        /// Writes the rows still queued.
        func flush() throws {
            try node.flush()
            try stats.flush()
        }

        func append(_ n: ProjectionBatch.NodeRow) throws { try SQLiteProjectionStore.insert(n, with: node) }

        func append(_ s: NodeStats, timeline: [UInt8], of n: IdentityGraph.Node) throws {
            try SQLiteProjectionStore.insert(s, timeline: timeline, of: n, with: stats)
        }
    }
}
