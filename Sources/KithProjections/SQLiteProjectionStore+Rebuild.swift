import GRDB
import KithCore

extension SQLiteProjectionStore {
    /// Fills the empty store in one transaction. Secondary indexes are dropped first and built
    /// again at the end (sorting once is several times faster than keeping them up to date row
    /// by row), with the SQL the migrations gave them.
    public func commitRebuild(
        rulesHash: String,
        _ produce: (_ appendEvent: (ProjectionBatch.EventRow) throws -> Void) throws -> ProjectionBatch
    ) throws {
        try pool.write { db in
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM checkpoint") ?? 0 > 0 {
                throw ProjectionError("a rebuild needs an empty projection store; \(path) already holds a projection")
            }
            let indexes = try Row.fetchAll(
                db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
            ).map { (name: $0[0] as String, sql: $0[1] as String) }
            for index in indexes { try db.execute(sql: "DROP INDEX \(index.name)") }
            let cacheSize = try Int.fetchOne(db, sql: "PRAGMA cache_size") ?? -2000
            try db.execute(sql: "PRAGMA cache_size = -262144")  // 256 MiB while the tables grow
            defer { try? db.execute(sql: "PRAGMA cache_size = \(cacheSize)") }
            let event = try Self.eventWriter(db)
            let batch = try produce { try Self.insert($0, with: event) }
            try Self.write(batch, rulesHash: rulesHash, db)
            for index in indexes { try db.execute(sql: index.sql) }
        }
    }
}
