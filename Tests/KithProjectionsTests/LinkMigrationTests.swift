import Foundation
import GRDB
import KithCore
import KithLog
import KithTestSupport
import Testing

@testable import KithProjections

/// Schema v12: a link is a flag on its edge. A store written with the link table beside the
/// edges (v11) is migrated in place, link for link.
struct LinkMigrationTests {
    /// Turns a current store back into the v11 shape: the links in their own table (with its
    /// index), no flag on the edges, and v12 not yet applied.
    static func downgrade(_ store: SQLiteProjectionStore) throws {
        try store.pool.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE link (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
                    INSERT INTO link SELECT a, b FROM edge WHERE linked = 1;
                    CREATE INDEX link_b ON link(b);
                    ALTER TABLE edge DROP COLUMN linked;
                    DELETE FROM grdb_migrations WHERE identifier LIKE 'v12:%';
                    """)
        }
    }

    /// A synchronous read (GRDB's async overload would be chosen inside an async test).
    static func read<T>(_ store: SQLiteProjectionStore, _ body: (Database) throws -> T) throws -> T {
        try store.pool.read(body)
    }

    static func write(_ store: SQLiteProjectionStore, _ sql: String) throws {
        try store.pool.write { db in try db.execute(sql: sql) }
    }

    @Test("A store with a link table opens with every link a flag on its edge, the same identity and exports")
    func linksMoveOntoTheirEdges() async throws {
        let scratch = Scratch()
        let (_, data) = try await ingestGenerated(persons: 300, seed: 43, in: scratch)
        let path = scratch.path + "/store.sqlite"
        let store = try SQLiteProjectionStore(path: path)
        _ = try Projector(store: store, rules: .standard).catchUp(with: try EventLogReader(directory: data.log))
        let tables = try identityTables(store)
        let exports = try exportLines(store)
        let links = try Self.read(store) { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM edge WHERE linked = 1")
        }
        #expect((links ?? 0) > 300, "the fixture links values")

        try Self.downgrade(store)
        let stored = try Self.read(store) { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM link") }
        #expect(stored == links)

        let migrated = try SQLiteProjectionStore(path: path)
        #expect(try identityTables(migrated) == tables)
        #expect(try exportLines(migrated) == exports)
        let linkTable = try Self.read(migrated) { db in try db.tableExists("link") }
        #expect(!linkTable, "the link table is gone")
        // The projector reads links back from the edges: an increment over the migrated store goes on.
        let summary = try Projector(store: migrated, rules: .standard).catchUp(
            with: try EventLogReader(directory: data.log))
        #expect(summary.events == 0)
    }

    @Test("A link between values never seen together is not guessed at: the store asks for a rebuild")
    func anOrphanLinkAsksForARebuild() async throws {
        let scratch = Scratch()
        let (_, data) = try await ingestGenerated(persons: 60, seed: 44, in: scratch)
        let path = scratch.path + "/store.sqlite"
        let store = try SQLiteProjectionStore(path: path)
        _ = try Projector(store: store, rules: .standard).catchUp(with: try EventLogReader(directory: data.log))
        try Self.downgrade(store)
        try Self.write(store, "INSERT INTO link (a, b) VALUES (1000001, 1000002)")
        #expect {
            _ = try SQLiteProjectionStore(path: path)
        } throws: { error in
            (error as? ProjectionError)?.code == .needsRebuild && "\(error)".contains("1 link(s)")
        }
    }
}
