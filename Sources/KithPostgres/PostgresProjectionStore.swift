import Foundation
import KithCore
import NIOCore
import PostgresNIO

/// The projection store in PostgreSQL: the SQLite store's tables and answers, for stores that
/// several machines share.
///
/// - **One commit, one transaction.** Each batch's rows and its checkpoint commit together,
///   under the store's advisory lock, so readers never see half a batch.
/// - **Generations.** The tables live in a schema per generation (`PostgresProjectionSchema`).
///   A rebuild or replay opens the next one for a bulk load (`init(bulkLoading:)`), fills it
///   while readers keep answering from the one in force, and `finishBulkLoad()` moves the head
///   to it in one statement.
/// - **Bulk.** Rows go in as arrays (`unnest`), thousands a statement, never a round trip a
///   row; value lookups send their ids as one array.
public final class PostgresProjectionStore: ProjectionStore, @unchecked Sendable {
    // @unchecked: `session` serialises its own use; `expectedCheckpoint` and `analyzedOnce` are
    // guarded by `lock`; the rest is set once in init.
    public typealias Node = IdentityGraph.Node
    public let location: PostgresLocation
    let session: PostgresSession
    /// The generation this handle writes (one not in force yet, for a bulk load).
    public let generation: Int64
    /// The generation's schema.
    let g: String
    /// Whether this handle fills a generation not in force yet.
    public let loadsInBulk: Bool

    /// The checkpoint this handle last read or wrote: a commit from any other starting point
    /// means another process projected meanwhile, and is refused (guarded by `lock`).
    private var expectedCheckpoint: UInt64?
    private let lock = NSLock()

    /// Whether the planner's statistics of the large tables are up to date (a one-pass
    /// rebuild made them; guarded by `lock`).
    var analyzed: Bool {
        get { lock.withLock { analyzedOnce } }
        set { lock.withLock { analyzedOnce = newValue } }
    }
    private var analyzedOnce = false

    /// The generation this handle's lookups go to (see `lookUp`).
    let lookUpGeneration = LookUpGeneration()

    /// Rows a write statement carries at most.
    static let rowsPerStatement = 16_384

    /// Opens the generation in force, making the tables of the first if the store has none.
    /// `readOnly` is for servers that only answer queries: it never creates anything, and a
    /// store with no projection yet is `noStore`.
    public init(_ location: PostgresLocation, readOnly: Bool = false) throws {
        self.location = location
        session = try PostgresSession(location)
        loadsInBulk = false
        let s = location.schema
        let found = try session.transaction(doing: "opening the projection store") { t -> Int64? in
            if readOnly { return try Self.generationInForce(s, t) }
            try Self.takeTheLock(s, t)
            for statement in PostgresProjectionSchema.headStatements(schema: s) {
                try t.query(PostgresQuery(unsafeSQL: statement))
            }
            if let generation = try Self.generationInForce(s, t) { return generation }
            // Generation 1 is only ever made here, whole in this transaction (a bulk load starts
            // at 2), so no schema of that name can be in the way.
            let g = PostgresProjectionSchema.generationSchema(s, 1)
            for statement in PostgresProjectionSchema.tableStatements(generation: g)
                + PostgresProjectionSchema.lookUpStatements(schema: s, generation: g)
                + PostgresProjectionSchema.indexes(generation: g)
            {
                try t.query(PostgresQuery(unsafeSQL: statement))
            }
            try t.query(
                PostgresQuery(
                    unsafeSQL:
                        "INSERT INTO \(s).projection_head (format, generation) VALUES (\(PostgresProjectionSchema.format), 1)"
                ))
            return 1
        }
        guard let found else {
            throw ProjectionError(.noStore, "there is no projection store at \(location) yet")
        }
        generation = found
        g = PostgresProjectionSchema.generationSchema(s, found)
    }

    /// Opens the next generation for one bulk load: a rebuild into an empty store, which
    /// `finishBulkLoad()` then puts in force. Readers go on reading the generation in force
    /// meanwhile. What an earlier load left unfinished (people's values among it) is dropped.
    public init(bulkLoading location: PostgresLocation) throws {
        self.location = location
        session = try PostgresSession(location)
        loadsInBulk = true
        let s = location.schema
        // One load at a time: a second would pick the same next generation and drop what the
        // first had just put in force. Held by this session until the load is in force or
        // dropped (or the process dies, which ends the session).
        try session.query(
            PostgresQuery(unsafeSQL: "SELECT pg_advisory_lock(\(Self.loadLockClass), hashtext('\(s)'))"),
            doing: "waiting for another rebuild of the projections")
        generation = try session.transaction(doing: "opening a projection generation for a rebuild") { t in
            try Self.takeTheLock(s, t)
            for statement in PostgresProjectionSchema.headStatements(schema: s) {
                try t.query(PostgresQuery(unsafeSQL: statement))
            }
            // Never 1: an empty store made by another process's opening takes that one.
            let next = max(try Self.generationInForce(s, t) ?? 0, 1) + 1
            let g = PostgresProjectionSchema.generationSchema(s, next)
            try t.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(g) CASCADE"))
            for statement in PostgresProjectionSchema.tableStatements(generation: g)
                + PostgresProjectionSchema.lookUpStatements(schema: s, generation: g)
            {
                try t.query(PostgresQuery(unsafeSQL: statement))
            }
            return next
        }
        g = PostgresProjectionSchema.generationSchema(s, generation)
    }

    /// Builds the loaded generation's indexes and puts it in force: one statement moves the
    /// head, so a reader sees the old generation or this one whole. The old generation's schema
    /// is dropped once no reader holds it. This handle writes the generation it loaded after.
    public func finishBulkLoad() throws {
        precondition(loadsInBulk, "finishBulkLoad() is for a handle opened with init(bulkLoading:)")
        let s = location.schema
        let old = try session.transaction(doing: "putting the rebuilt projections in force") { t -> Int64? in
            // A one-pass rebuild built them already (`commitRebuild`); a load in batches did not.
            for statement in PostgresProjectionSchema.indexes(generation: g)
                + (analyzed ? [] : PostgresProjectionSchema.analyze(generation: g))
            {
                try t.query(PostgresQuery(unsafeSQL: statement))
            }
            try Self.takeTheLock(s, t)
            let old = try Self.generationInForce(s, t)
            if let old, old >= generation {
                throw ProjectionError(
                    .refused, "\(location): generation \(old) came into force while generation \(generation) loaded")
            }
            try t.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO \(s).projection_head (format, generation) VALUES (\(PostgresProjectionSchema.format), \(generation))
                        ON CONFLICT (singleton) DO UPDATE SET generation = excluded.generation
                        """))
            return old
        }
        if let old { dropGeneration(old) }
        releaseTheLoadLock()
    }

    /// The first word of the advisory lock a bulk load holds ('kitl').
    static let loadLockClass: Int32 = 0x6B69_746C

    private func releaseTheLoadLock() {
        _ = try? session.query(
            PostgresQuery(
                unsafeSQL: "SELECT pg_advisory_unlock(\(Self.loadLockClass), hashtext('\(location.schema)'))"),
            doing: "ending a rebuild")
    }

    /// Drops the generation this handle loaded without putting it in force (a replay's dry
    /// run, a failed rebuild): it holds people's values and no one will read it.
    public func discardBulkLoad() {
        precondition(loadsInBulk, "discardBulkLoad() is for a handle opened with init(bulkLoading:)")
        _ = try? session.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(g) CASCADE"), doing: "dropping a load")
        releaseTheLoadLock()
    }

    /// The generation in force now (nil before the first projection).
    public func generationInForce() throws -> Int64? {
        try session.transaction(doing: "reading the projection generation", snapshot: true) { t in
            try Self.generationInForce(location.schema, t)
        }
    }

    /// The generation in force in the store whose log `log` is, through the log's own
    /// connection: a status read (every `/metrics` scrape) needs no connection of its own.
    public static func generationInForce(besides log: PostgresEventLog) throws -> Int64? {
        try log.session.transaction(doing: "reading the projection generation", snapshot: true) { t in
            try generationInForce(log.location.schema, t)
        }
    }

    /// Drops a generation out of force, waiting a few seconds at most for its last readers; one
    /// still held is left for the next rebuild to drop (`dropUnusedGenerations`).
    private func dropGeneration(_ old: Int64) {
        _ = try? session.transaction(doing: "dropping an old projection generation") { t in
            try t.query("SET LOCAL lock_timeout = '5s'")
            let name = PostgresProjectionSchema.generationSchema(location.schema, old)
            try t.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(name) CASCADE"))
        }
        dropUnusedGenerations()
    }

    /// Drops every generation schema but the one in force and this handle's.
    private func dropUnusedGenerations() {
        let s = location.schema
        guard
            let names = try? session.transaction(
                doing: "listing projection generations",
                { t -> [String] in
                    let current = try Self.generationInForce(s, t) ?? -1
                    return try t.query(
                        PostgresQuery(
                            unsafeSQL: """
                                SELECT nspname::text FROM pg_namespace WHERE nspname ~ '^\(s)_p[0-9]+$'
                                  AND nspname NOT IN ('\(PostgresProjectionSchema.generationSchema(s, current))', '\(g)')
                                """)
                    ).map { try $0.decode(String.self) }
                })
        else { return }
        for name in names {
            _ = try? session.transaction(doing: "dropping an old projection generation") { t in
                try t.query("SET LOCAL lock_timeout = '5s'")
                try t.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(name) CASCADE"))
            }
        }
    }

    /// The generation `projection_head` names; nil when the store has none in force yet.
    static func generationInForce(_ s: String, _ t: PostgresSession.Transaction) throws -> Int64? {
        let exists = try t.query("SELECT to_regclass(\(s + ".projection_head")) IS NOT NULL").first?.decode(Bool.self)
        guard exists == true else { return nil }
        guard
            let (format, generation) = try t.query(
                PostgresQuery(unsafeSQL: "SELECT format, generation FROM \(s).projection_head")
            ).first?.decode((Int, Int64).self)
        else { return nil }
        guard format == PostgresProjectionSchema.format else {
            throw PostgresStoreError(
                .wrongFormat,
                "the projection store in schema \(s) is format \(format); this Kith reads format \(PostgresProjectionSchema.format)"
            )
        }
        return generation
    }

    /// The first word of the projections' advisory lock ('kitp'); the second is the schema's hash.
    static let lockClass: Int32 = 0x6B69_7470

    /// Waits for the projections' advisory lock, held until `t` ends: writers of one store
    /// take turns, and a commit and a generation change never cross.
    static func takeTheLock(_ s: String, _ t: PostgresSession.Transaction) throws {
        try t.query("SELECT pg_advisory_xact_lock(\(lockClass), hashtext(\(s)))")
    }

    /// Closes the connection.
    public func close() throws { try session.close() }

    // MARK: Loading the projector's state

    public func openingState() throws -> ProjectionState {
        var state = ProjectionState()
        let rows = try query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT c.position, c.rules_hash, c.last_line, (SELECT coalesce(max(id) + 1, 0) FROM \(g).node)
                    FROM (SELECT 1) AS one LEFT JOIN \(g).checkpoint c ON c.name = 'main'
                    """), doing: "reading the projection checkpoint")
        if let (position, rulesHash, lastLine, count) = try rows.first?.decode(
            (Int64?, String?, ByteBuffer?, Int64).self)
        {
            state.checkpoint = UInt64(position ?? 0)
            state.rulesHash = rulesHash
            state.lastLine = lastLine.flatMap { EventKey(storedBytes: Array($0.readableBytesView)) }
            state.storedNodes = Int(count)
            state.storedAtOpening = Int(count)
        }
        lock.withLock { expectedCheckpoint = state.checkpoint }
        return state
    }

    public func nodes(identifiedBy identifiers: [Identifier]) throws -> [Node: IdentityGraph.NodeInfo] {
        try reads.nodes(identifiedBy: identifiers)
    }

    public func nodes(_ ids: [Node]) throws -> [Node: IdentityGraph.NodeInfo] {
        try reads.nodes(ids)
    }

    public func neighbourhood(of nodes: [Node]) throws -> Neighbourhood {
        try reads.neighbourhood(of: nodes)
    }

    public func storedProfileIDs(among ids: [String]) throws -> Set<String> {
        var binds = PostgresBindings()
        binds.append(ids)
        let rows = try query(
            PostgresQuery(unsafeSQL: "SELECT id FROM \(g).profile_id WHERE id = ANY($1::text[])", binds: binds),
            doing: "reading profile ids")
        return Set(try rows.map { try $0.decode(String.self) })
    }

    public func stats(of nodes: [Node]) throws -> [Node: NodeStats] {
        var out: [Node: NodeStats] = [:]
        for row in try query(
            PostgresQuery(
                unsafeSQL: "SELECT node, stats FROM \(g).node_stats WHERE node = ANY($1::int8[])",
                binds: PostgresProjectionReads.ids(nodes)), doing: "reading value statistics")
        {
            let (node, bytes) = try row.decode((Int64, ByteBuffer).self)
            guard let stats = NodeStats(binary: Array(bytes.readableBytesView)) else {
                throw ProjectionError(.needsRebuild, "node \(node)'s statistics are damaged")
            }
            out[Node(node)] = stats
        }
        return out
    }

    public func seen(of nodes: [Node]) throws -> [Node: NodeSeen] {
        var out: [Node: NodeSeen] = [:]
        for row in try query(
            PostgresQuery(
                unsafeSQL: "SELECT id, first_seen, last_seen, sources FROM \(g).node WHERE id = ANY($1::int8[])",
                binds: PostgresProjectionReads.ids(nodes)), doing: "reading when values were seen")
        {
            let (node, first, last, sources) = try row.decode((Int64, String?, String?, String).self)
            out[Node(node)] = PostgresProjectionReads.seen(first: first, last: last, sources: sources)
        }
        return out
    }

    public func rfmRaw(of nodes: [Node]) throws -> [Node: RFMRaw] {
        var out: [Node: RFMRaw] = [:]
        for row in try query(
            PostgresQuery(
                unsafeSQL: "SELECT node, orders, last_order, monetary FROM \(g).node_rfm WHERE node = ANY($1::int8[])",
                binds: PostgresProjectionReads.ids(nodes)), doing: "reading RFM inputs")
        {
            let (node, orders, last, monetary) = try row.decode((Int64, Int64, Int64?, Int64).self)
            out[Node(node)] = RFMRaw(orders: Int(orders), lastOrder: last, monetary: monetary)
        }
        return out
    }

    /// Refuses a commit that does not continue from the checkpoint this handle knows (the
    /// caller holds the store's lock in `t`): two servers catching up at once would otherwise
    /// both project the same events.
    func checkContinuity(_ t: PostgresSession.Transaction) throws {
        guard let expected = lock.withLock({ expectedCheckpoint }) else { return }
        let stored =
            try t.query(PostgresQuery(unsafeSQL: "SELECT position FROM \(g).checkpoint WHERE name = 'main'")).first?
            .decode(Int64.self) ?? 0
        guard UInt64(stored) == expected else {
            throw ProjectionError(
                .overtaken,
                "\(location): another process projected the log up to position \(stored) meanwhile (this one began at \(expected)); run again"
            )
        }
    }

    /// Records the checkpoint a commit of this handle moved to.
    func committed(upTo position: UInt64) { lock.withLock { expectedCheckpoint = position } }

    /// Runs one read of this handle's generation outside any transaction. A generation a
    /// rebuild elsewhere has dropped since is named as that, not as a missing table.
    func query(_ query: PostgresQuery, doing what: String) throws -> [PostgresRow] {
        do {
            return try session.query(query, doing: what)
        } catch let error as PostgresStoreError where ["42P01", "3F000"].contains(error.sqlState) {
            throw ProjectionError(
                .overtaken,
                "\(location): the projections were rebuilt elsewhere (generation \(generation), which this process opened, is gone); run the command again"
            )
        }
    }

    /// The read statements over this handle's generation, outside any transaction.
    private var reads: PostgresProjectionReads {
        PostgresProjectionReads(run: { try self.query($0, doing: "reading the projections") }, g: g)
    }
}
