import Foundation
import GRDB
import KithCore

/// The projection store: SQLite in WAL mode through GRDB. Readers (queries, `kith serve` later)
/// never block the projector and never see half a batch: each batch and its checkpoint commit
/// in one transaction.
///
/// A store that a rebuild fills from nothing is opened for a bulk load instead
/// (`init(bulkLoadingAt:)`): no journal while it fills, and in force only once whole.
public final class SQLiteProjectionStore: ProjectionStore, Sendable {
    public typealias Node = IdentityGraph.Node
    public let path: String
    /// A pool of WAL connections, or one connection without a journal for a bulk load.
    let pool: any DatabaseWriter

    /// Opens (and migrates) the store. `readOnly` is for servers that only answer queries: it
    /// never writes, and refuses a store whose schema is not the current one.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(10)
        config.readonly = readOnly
        if !readOnly {
            config.prepareDatabase { db in
                // WAL survives a crash of the process (the case the projector's checkpoint covers).
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
                // A write of many rows in a transaction keeps a statement journal (the pages it
                // changed, to undo it alone). On disk that went to /var/tmp, outside the data
                // directory, with people's values in it: 54 MB and 26,000 writes an increment
                // of 10,000 events at 200,000 people. In memory it is a statement's pages at most.
                try db.execute(sql: "PRAGMA temp_store = MEMORY")
            }
        }
        if readOnly && !FileManager.default.fileExists(atPath: path) {
            throw ProjectionError(.noStore, "there is no projection store at \(path) yet")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            if readOnly {
                guard try pool.read({ try SQLiteProjectionStore.migrator.hasCompletedMigrations($0) }) else {
                    throw ProjectionError(
                        .needsMigration, "the projection store \(path) has an older schema than this version of Kith")
                }
            } else {
                try SQLiteProjectionStore.migrator.migrate(pool)
            }
        } catch let error as ProjectionError {
            throw error
        } catch {
            throw ProjectionError(.unavailable, "cannot open the projection store \(path): \(error)")
        }
    }

    /// Opens a new store at `path` for one bulk load: a rebuild into an empty store, which
    /// `finishBulkLoad(movingTo:)` then puts in force.
    ///
    /// Nothing is journalled or synced while it fills. A WAL store writes every page twice (to
    /// its log, then into the file at the checkpoint): 0.8 s of a 2.7 s load of a rebuild's
    /// rows at 200,000 people. Without a journal a failed or killed load cannot roll back, so
    /// nothing reads this file until it is whole; a kill leaves only it, which the next load
    /// (or `removeUnfinishedBulkLoad(beside:)`) throws away.
    public init(bulkLoadingAt path: String) throws {
        self.path = path
        Self.removeFiles(of: path)
        var config = Configuration()
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA journal_mode = OFF")
            try db.execute(sql: "PRAGMA synchronous = OFF")
        }
        do {
            pool = try DatabaseQueue(path: path, configuration: config)
            try SQLiteProjectionStore.migrator.migrate(pool)
        } catch {
            throw ProjectionError(.unavailable, "cannot create the projection store \(path) for a rebuild: \(error)")
        }
    }

    /// Puts a bulk-loaded store in force at `target`: switches it to WAL, closes it, syncs it,
    /// renames it over `target` and syncs the directory, so that after a crash `target` is
    /// either missing (a rebuild starts over) or this whole store. This object is closed
    /// afterwards; open `target` to read it.
    public func finishBulkLoad(movingTo target: String) throws {
        do {
            try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA journal_mode = WAL") }
            try pool.close()
            try Self.sync(path)
            // A WAL left from a store once at `target` must not be applied to this one.
            for suffix in ["-wal", "-shm"] { try? FileManager.default.removeItem(atPath: target + suffix) }
            guard rename(path, target) == 0 else {
                throw ProjectionError(
                    .unavailable, "cannot rename it to \(target): \(String(cString: strerror(errno)))")
            }
            try Self.sync((target as NSString).deletingLastPathComponent)
        } catch let error as ProjectionError {
            throw ProjectionError(error.code, "cannot put the rebuilt store \(path) in force: \(error.message)")
        } catch {
            throw ProjectionError(.unavailable, "cannot put the rebuilt store \(path) in force: \(error)")
        }
    }

    /// Where a bulk load of the store at `path` fills its file.
    public static func bulkLoadPath(for path: String) -> String { path + ".loading" }

    /// Deletes what a killed bulk load of the store at `path` left: it holds personal data
    /// and is never put in force.
    public static func removeUnfinishedBulkLoad(beside path: String) {
        removeFiles(of: bulkLoadPath(for: path))
    }

    private static func removeFiles(of path: String) {
        for suffix in ["", "-wal", "-shm", "-journal"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }

    /// fsync of a file or a directory.
    private static func sync(_ path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw ProjectionError(.unavailable, "cannot open \(path) to sync it: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard fsync(fd) == 0 else {
            throw ProjectionError(.unavailable, "cannot sync \(path): \(String(cString: strerror(errno)))")
        }
    }

    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: identity graph, profiles, events") { db in
            try db.execute(
                sql: """
                    CREATE TABLE checkpoint (name TEXT PRIMARY KEY, position INTEGER NOT NULL, rules_hash TEXT NOT NULL);
                    CREATE TABLE node (
                        id INTEGER PRIMARY KEY, kind TEXT NOT NULL, value TEXT NOT NULL,
                        first_position INTEGER NOT NULL, events INTEGER NOT NULL,
                        first_seen TEXT, last_seen TEXT, sources TEXT NOT NULL);
                    CREATE UNIQUE INDEX node_identifier ON node(kind, value);
                    CREATE TABLE edge (
                        a INTEGER NOT NULL, b INTEGER NOT NULL, events INTEGER NOT NULL, first_position INTEGER NOT NULL,
                        PRIMARY KEY (a, b)) WITHOUT ROWID;
                    CREATE TABLE membership (node INTEGER PRIMARY KEY, profile TEXT NOT NULL);
                    CREATE INDEX membership_profile ON membership(profile);
                    CREATE TABLE excluded (node INTEGER PRIMARY KEY, standing TEXT NOT NULL);
                    CREATE TABLE link (a INTEGER NOT NULL, b INTEGER NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;
                    CREATE TABLE refused_link (
                        a INTEGER NOT NULL, b INTEGER NOT NULL, rule TEXT NOT NULL, PRIMARY KEY (a, b)) WITHOUT ROWID;

                    CREATE TABLE profile_id (id TEXT PRIMARY KEY, anchor INTEGER NOT NULL, created_position INTEGER NOT NULL)
                        WITHOUT ROWID;
                    CREATE TABLE profile_change (
                        seq INTEGER PRIMARY KEY, position INTEGER NOT NULL, kind TEXT NOT NULL, profile TEXT NOT NULL,
                        others TEXT NOT NULL);
                    CREATE INDEX profile_change_profile ON profile_change(profile);
                    CREATE TABLE node_stats (node INTEGER PRIMARY KEY, stats BLOB NOT NULL);
                    CREATE TABLE event (
                        position INTEGER PRIMARY KEY, event_id TEXT NOT NULL, anchor INTEGER, type TEXT NOT NULL,
                        name TEXT NOT NULL, source TEXT NOT NULL, occurred_at TEXT NOT NULL,
                        occurred_epoch INTEGER NOT NULL);
                    CREATE INDEX event_anchor ON event(anchor, occurred_epoch, position);
                    """)
        }
        m.registerMigration("v2: edge lookups from either end (explain)") { db in
            try db.execute(sql: "CREATE INDEX edge_b ON edge(b)")
        }
        m.registerMigration("v3: RFM view, lifecycle, rules applied") { db in
            // RFM inputs come from events already folded into per-value statistics: a store that
            // has projected events cannot gain them in place.
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM checkpoint") ?? 0 > 0 {
                throw ProjectionError(
                    .needsRebuild, "this projection store predates the RFM view (schema v3)"
                )
            }
            try db.execute(
                sql: """
                    CREATE TABLE node_rfm (
                        node INTEGER PRIMARY KEY, orders INTEGER NOT NULL, last_order INTEGER, monetary INTEGER NOT NULL);
                    CREATE TABLE profile_rfm (
                        profile TEXT PRIMARY KEY, orders INTEGER NOT NULL, last_order INTEGER, monetary INTEGER NOT NULL)
                        WITHOUT ROWID;
                    CREATE TABLE rfm_model (
                        name TEXT PRIMARY KEY, as_of INTEGER NOT NULL, pinned INTEGER NOT NULL, position INTEGER NOT NULL,
                        rules_hash TEXT NOT NULL, refreshed_at TEXT NOT NULL, model TEXT NOT NULL, summary TEXT NOT NULL);
                    CREATE TABLE rules_applied (
                        seq INTEGER PRIMARY KEY, hash TEXT NOT NULL, applied_at TEXT NOT NULL, rules TEXT NOT NULL);
                    """)
        }
        m.registerMigration("v4: links from either end (the projector loads neighbourhoods on demand)") { db in
            try db.execute(sql: "CREATE INDEX link_b ON link(b); CREATE INDEX refused_link_b ON refused_link(b)")
        }
        m.registerMigration("v5: timelines kept with each value's statistics; events read from the log") { db in
            try moveEventsToTimelines(db)
        }
        m.registerMigration("v6: the names each value's events carried (the evidence guard)") { db in
            // Stores projected before this have no evidence: their rules hash differs from the
            // standard rules' now (never-link patterns), so the projector asks for a rebuild.
            try db.execute(sql: "ALTER TABLE node ADD COLUMN names INTEGER NOT NULL DEFAULT 0")
        }
        m.registerMigration("v7: how profile ids are made (keyed with the installation secret)") { db in
            // A store with profiles and no scheme made its ids unkeyed; the projector renames them.
            try db.execute(sql: "CREATE TABLE store_setting (name TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID")
            if try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM profile_id") ?? 0 > 0 {
                try db.execute(
                    sql: "INSERT INTO store_setting (name, value) VALUES ('profile_ids', ?)",
                    arguments: [ProfileIDs.unkeyed.scheme])
            }
        }
        m.registerMigration("v8: the hash of the last projected line (a log that lost events is noticed)") { db in
            try db.execute(sql: "ALTER TABLE checkpoint ADD COLUMN last_line BLOB")
        }
        m.registerMigration("v9: an excluded value's standing kept as a typed code (Standing.Kind)") { db in
            try db.execute(sql: "ALTER TABLE excluded ADD COLUMN kind INTEGER NOT NULL DEFAULT 0")
            let update = try db.makeStatement(sql: "UPDATE excluded SET kind = ? WHERE node = ?")
            for row in try Row.fetchAll(db, sql: "SELECT node, standing FROM excluded") {
                let text: String = row[1]
                guard let kind = IdentityResolver.Standing(code: text)?.kind else {
                    throw ProjectionError(
                        .needsRebuild, "value \(row[0] as Int64) has a standing no version of Kith wrote (\(text))")
                }
                try update.execute(arguments: [kind.rawValue, row[0] as Int64])
            }
            try db.execute(sql: "CREATE INDEX excluded_by_kind ON excluded (kind)")
        }
        m.registerMigration("v10: an excluded value's standing kept whole in typed columns, its text dropped") { db in
            try db.execute(
                sql: """
                    ALTER TABLE excluded ADD COLUMN partners INTEGER;
                    ALTER TABLE excluded ADD COLUMN rule TEXT;
                    ALTER TABLE excluded ADD COLUMN evidence INTEGER;
                    ALTER TABLE excluded ADD COLUMN evidence_kind TEXT;
                    ALTER TABLE excluded ADD COLUMN evidence_count INTEGER;
                    ALTER TABLE excluded ADD COLUMN evidence_limit INTEGER;
                    """)
            let update = try RowWriter(
                db,
                """
                UPDATE excluded SET kind = ?, partners = ?, rule = ?, evidence = ?, evidence_kind = ?,
                  evidence_count = ?, evidence_limit = ? WHERE node = ?
                """)
            for row in try Row.fetchAll(db, sql: "SELECT node, standing FROM excluded") {
                let text: String = row[1]
                guard let standing = IdentityResolver.Standing(code: text) else {
                    throw ProjectionError(
                        .needsRebuild, "value \(row[0] as Int64) has a standing no version of Kith wrote (\(text))")
                }
                try update.run(StoredStanding(standing).columns + [.integer(row[0])])
            }
            try db.execute(sql: "ALTER TABLE excluded DROP COLUMN standing")
        }
        m.registerMigration("v11: a merge or split kept as a typed code (Change.Kind)") { db in
            let unknown = try String.fetchOne(
                db, sql: "SELECT kind FROM profile_change WHERE kind NOT IN ('merged', 'split') LIMIT 1")
            if let unknown {
                throw ProjectionError(
                    .needsRebuild, "a profile change of kind \"\(unknown)\", which no version of Kith wrote")
            }
            try db.execute(
                sql: """
                    CREATE TABLE profile_change_typed (
                        seq INTEGER PRIMARY KEY, position INTEGER NOT NULL, kind INTEGER NOT NULL, profile TEXT NOT NULL,
                        others TEXT NOT NULL);
                    INSERT INTO profile_change_typed (seq, position, kind, profile, others)
                        SELECT seq, position, CASE kind WHEN 'merged' THEN \(ProjectionBatch.Change.Kind.merged.rawValue)
                          ELSE \(ProjectionBatch.Change.Kind.split.rawValue) END, profile, others
                        FROM profile_change;
                    DROP TABLE profile_change;
                    ALTER TABLE profile_change_typed RENAME TO profile_change;
                    CREATE INDEX profile_change_profile ON profile_change(profile);
                    """)
        }
        m.registerMigration("v12: a link kept as a flag on its edge, the link table dropped") { db in
            // The resolver links only values seen together, so every link has its edge; a store
            // where one has none was not written by Kith, and is rebuilt rather than guessed at.
            let orphans = try Int.fetchOne(
                db,
                sql:
                    "SELECT COUNT(*) FROM link WHERE NOT EXISTS (SELECT 1 FROM edge WHERE edge.a = link.a AND edge.b = link.b)"
            )
            if let orphans, orphans > 0 {
                throw ProjectionError(.needsRebuild, "\(orphans) link(s) between values never seen together")
            }
            try db.execute(
                sql: """
                    ALTER TABLE edge ADD COLUMN linked INTEGER NOT NULL DEFAULT 0;
                    UPDATE edge SET linked = 1 WHERE EXISTS (SELECT 1 FROM link WHERE link.a = edge.a AND link.b = edge.b);
                    DROP TABLE link;
                    """)
        }
        return m
    }

    // MARK: Loading the projector's state

    public func openingState() throws -> ProjectionState {
        try pool.read { db in
            var state = ProjectionState()
            if let row = try Row.fetchOne(
                db, sql: "SELECT position, rules_hash, last_line FROM checkpoint WHERE name = 'main'")
            {
                state.checkpoint = UInt64(row[0] as Int64)
                state.rulesHash = row[1]
                if let bytes = row[2] as Data? { state.lastLine = EventKey(storedBytes: [UInt8](bytes)) }
            }
            // Node ids are dense: the next id is one past the largest.
            let count = (try Int.fetchOne(db, sql: "SELECT MAX(id) + 1 FROM node")) ?? 0
            state.storedNodes = count
            state.storedAtOpening = count
            return state
        }
    }

    public func nodes(identifiedBy identifiers: [Identifier]) throws -> [Node: IdentityGraph.NodeInfo] {
        try pool.read { db in try Self.nodes(identifiedBy: identifiers, db) }
    }

    public func nodes(_ ids: [Node]) throws -> [Node: IdentityGraph.NodeInfo] {
        try pool.read { db in try Self.nodes(ids, db) }
    }

    static func nodes(identifiedBy identifiers: [Identifier], _ db: Database) throws -> [Node: IdentityGraph.NodeInfo] {
        var out: [Node: IdentityGraph.NodeInfo] = [:]
        for (kind, group) in Dictionary(grouping: identifiers, by: \.kind) {
            try forEachRow(
                "SELECT id, kind, value, first_position, events, names FROM node WHERE kind = ? AND",
                whereColumn: "value",
                in: group.map(\.value), before: [kind.rawValue], db
            ) { out[Node($0[0] as Int64)] = nodeInfo($0) }
        }
        return out
    }

    static func nodes(_ ids: [Node], _ db: Database) throws -> [Node: IdentityGraph.NodeInfo] {
        var out: [Node: IdentityGraph.NodeInfo] = [:]
        try forEachRow(
            "SELECT id, kind, value, first_position, events, names FROM node", whereColumn: "id", in: ids, db
        ) {
            out[Node($0[0] as Int64)] = nodeInfo($0)
        }
        return out
    }

    static func nodeInfo(_ row: Row) -> IdentityGraph.NodeInfo {
        IdentityGraph.NodeInfo(
            identifier: Identifier(IdentifierKind(rawValue: row[1]), row[2]), firstSeen: UInt64(row[3] as Int64),
            events: row[4], names: NameEvidence(packed: row[5]))
    }

    public func neighbourhood(of nodes: [Node]) throws -> Neighbourhood {
        try pool.read { db in try Self.neighbourhood(of: nodes, db) }
    }

    static func neighbourhood(of nodes: [Node], _ db: Database) throws -> Neighbourhood {
        do {
            var out = Neighbourhood()
            for column in ["a", "b"] {
                try Self.forEachRow(
                    "SELECT a, b, events, first_position, linked FROM edge", whereColumn: column, in: nodes, db
                ) {
                    let (a, b) = (Node($0[0] as Int64), Node($0[1] as Int64))
                    out.edges.append(
                        (a, b, IdentityGraph.EdgeInfo(count: $0[2], firstEvidence: UInt64($0[3] as Int64))))
                    if ($0[4] as Int64) != 0 { out.links.append(IdentityGraph.key(a, b)) }
                }
                try Self.forEachRow("SELECT a, b, rule FROM refused_link", whereColumn: column, in: nodes, db) {
                    out.refused.append((IdentityGraph.key(Node($0[0] as Int64), Node($0[1] as Int64)), $0[2]))
                }
            }
            try Self.forEachRow("SELECT node, profile FROM membership", whereColumn: "node", in: nodes, db) {
                out.membership.append((Node($0[0] as Int64), $0[1]))
            }
            try Self.forEachRow(
                "SELECT node, \(StoredStanding.selection) FROM excluded", whereColumn: "node", in: nodes, db
            ) { out.excluded.append((Node($0[0] as Int64), try StoredStanding.standing(in: $0, of: $0[0]))) }
            return out
        }
    }

    public func storedProfileIDs(among ids: [String]) throws -> Set<String> {
        try pool.read { db in
            var out = Set<String>()
            try Self.forEachRow("SELECT id FROM profile_id", whereColumn: "id", in: ids, db) { out.insert($0[0]) }
            return out
        }
    }

    public func stats(of nodes: [Node]) throws -> [Node: NodeStats] {
        try pool.read { db in try SQLiteProjectionStore.stats(of: nodes, db) }
    }

    public func seen(of nodes: [Node]) throws -> [Node: NodeSeen] {
        try pool.read { db in try Self.seen(of: nodes, db) }
    }

    static func seen(of nodes: [Node], _ db: Database) throws -> [Node: NodeSeen] {
        do {
            var out: [Node: NodeSeen] = [:]
            try Self.forEachRow("SELECT id, first_seen, last_seen, sources FROM node", whereColumn: "id", in: nodes, db)
            { row in out[Node(row[0] as Int64)] = Self.seen(first: row[1], last: row[2], sources: row[3]) }
            return out
        }
    }

    public func rfmRaw(of nodes: [Node]) throws -> [Node: RFMRaw] {
        try pool.read { db in
            var out: [Node: RFMRaw] = [:]
            try Self.forEachRow(
                "SELECT node, orders, last_order, monetary FROM node_rfm", whereColumn: "node", in: nodes, db
            ) { row in
                out[Node(row[0] as Int64)] = RFMRaw(orders: row[1], lastOrder: row[2], monetary: row[3])
            }
            return out
        }
    }

    static func stats(of nodes: [Node], _ db: Database) throws -> [Node: NodeStats] {
        var out: [Node: NodeStats] = [:]
        try forEachRow("SELECT node, stats FROM node_stats", whereColumn: "node", in: nodes, db) { row in
            guard let stats = NodeStats(binary: [UInt8](row[1] as Data)) else {
                throw ProjectionError(
                    .needsRebuild, "node \(row[0] as Int64)'s statistics are damaged")
            }
            out[Node(row[0] as Int64)] = stats
        }
        return out
    }

    /// Runs `select … WHERE column IN (…)` over the values, 500 a statement. A `select` that
    /// ends in `AND` continues its own condition; `before` are the arguments of its `?`s.
    static func forEachRow(
        _ select: String, whereColumn column: String, in values: [some DatabaseValueConvertible],
        before: [any DatabaseValueConvertible] = [], _ db: Database, _ body: (Row) throws -> Void
    ) throws {
        let joiner = select.hasSuffix(" AND") ? "" : " WHERE"
        for chunk in stride(from: 0, to: values.count, by: 500) {
            let part = values[chunk..<min(values.count, chunk + 500)]
            let marks = Array(repeating: "?", count: part.count).joined(separator: ",")
            let bound: [(any DatabaseValueConvertible)?] = before + part.map { $0 as any DatabaseValueConvertible }
            let arguments = StatementArguments(bound)
            // Cached per distinct count of values: a profile's few values reuse a prepared statement.
            let statement = try db.cachedStatement(sql: "\(select)\(joiner) \(column) IN (\(marks))")
            // A cursor hands over each row in place: fetching them all copied every value first.
            let rows = try Row.fetchCursor(statement, arguments: arguments)
            while let row = try rows.next() { try body(row) }
        }
    }
}
