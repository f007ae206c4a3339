import Foundation
import KithCore
import NIOCore
import PostgresNIO

/// The event log in PostgreSQL: the `EventLog` for stores that several machines share.
///
/// - **Contiguous positions.** An append runs in one transaction that first takes the log's
///   advisory lock, so writers (threads, processes, machines) take turns; it reads the end from
///   `log_head`, inserts its records from there and moves the end in the same transaction. A
///   reader sees the records and the end commit together: never a gap, and no high-water mark.
/// - **Idempotency.** `event_key` holds each record's `EventKey`; keys already there, or
///   repeated in the append, are counted as duplicates.
/// - **Acknowledged after commit.** `append` returns once PostgreSQL has committed (durable as
///   the server's `synchronous_commit` makes it). A client that dies first leaves nothing: the
///   server rolls the transaction back.
/// - **Bulk.** Records go in as arrays (`unnest`), thousands a statement, never a round trip
///   each; reads fetch pages of positions.
public final class PostgresEventLog: EventLog, @unchecked Sendable {
    // @unchecked: `session` serialises its own use; the cache is guarded by `lock`.
    public let location: PostgresLocation
    let session: PostgresSession
    private let lock = NSLock()
    private var cachedEnd: UInt64 = 0
    private var cachedLastAppend: Timestamp?
    /// Called in an append's transaction just before it commits (crash tests end the
    /// connection there).
    package var beforeCommit: ((PostgresSession.Transaction) throws -> Void)?

    /// Records an append statement carries at most.
    static let rowsPerStatement = 4_096
    /// Records a read fetches at a time.
    static let readPage = 8_192

    /// Connects, makes the log's tables if the schema has none, and checks their format.
    public init(_ location: PostgresLocation) throws {
        self.location = location
        session = try PostgresSession(location)
        let s = location.schema
        try session.transaction(doing: "opening the event log") { t in
            try takeTheLock(in: t)
            let exists = try t.query("SELECT to_regclass(\(s + ".log_head")) IS NOT NULL").first?.decode(Bool.self)
            if exists != true {
                for statement in PostgresLogSchema.statements(schema: s) {
                    try t.query(PostgresQuery(unsafeSQL: statement))
                }
            }
            let format = try t.query(PostgresQuery(unsafeSQL: "SELECT format FROM \(s).log_head")).first?.decode(
                Int.self)
            guard format == PostgresLogSchema.format else {
                throw PostgresStoreError(
                    .wrongFormat,
                    "\(location): the event log is format \(format.map(String.init) ?? "unknown"); this Kith reads format \(PostgresLogSchema.format)"
                )
            }
        }
        _ = try head()
    }

    /// The first word of the log's advisory lock ('kith'); the second is the schema's hash.
    public static let lockClass: Int32 = 0x6B69_7468

    /// Waits for the log's advisory lock, held until `t` ends: writers of one store, on any
    /// machine, take turns.
    private func takeTheLock(in t: PostgresSession.Transaction) throws {
        try t.query("SELECT pg_advisory_xact_lock(\(Self.lockClass), hashtext(\(location.schema)))")
    }

    public var endPosition: UInt64 {
        // The server's word when it answers; else what this handle last knew.
        (try? head().end) ?? lock.withLock { cachedEnd }
    }

    public var lastAppendedAt: Timestamp? {
        (try? head().lastAppend) ?? lock.withLock { cachedLastAppend }
    }

    /// The end and the time of the last append, as `log_head` holds them now.
    private func head() throws -> (end: UInt64, lastAppend: Timestamp?) {
        let row = try session.query(
            PostgresQuery(
                unsafeSQL:
                    "SELECT end_position, extract(epoch FROM last_appended_at)::float8 FROM \(location.schema).log_head"
            ),
            doing: "reading the end of the event log")
        guard let (end, epoch) = try row.first?.decode((Int64, Double?).self) else {
            throw PostgresStoreError(.wrongFormat, "\(location): the event log's head row is missing")
        }
        let last = epoch.map { Timestamp(epochSeconds: Int64($0.rounded(.down)), nanoseconds: 0) }
        lock.withLock { (cachedEnd, cachedLastAppend) = (UInt64(end), last) }
        return (UInt64(end), last)
    }

    public func append(_ lines: EncodedLines) throws -> AppendOutcome {
        guard !lines.isEmpty else {
            let end = endPosition
            return AppendOutcome(appended: 0, duplicates: 0, positions: end..<end)
        }
        let s = location.schema
        let outcome = try session.transaction(doing: "appending to the event log") { t -> AppendOutcome in
            try takeTheLock(in: t)
            let first =
                try t.query(PostgresQuery(unsafeSQL: "SELECT end_position FROM \(s).log_head")).first?.decode(
                    Int64.self) ?? 0
            // The lines whose keys are new to this append, in order; which of them the log
            // already holds, its primary key tells as they go in.
            var seen = Set<EventKey>()
            var candidates: [(line: String, key: EventKey)] = []
            var start = 0
            for (i, end) in lines.lineEnds.enumerated() {
                defer { start = end }
                guard seen.insert(lines.keys[i]).inserted else { continue }
                // Stored without the newline, as readers hand lines out; as text, so byte for byte
                // only if it is UTF-8 without NUL (a canonical line always is).
                let bytes = lines.bytes[start..<(end - 1)]
                guard let line = String(validating: bytes, as: UTF8.self), !bytes.contains(0) else {
                    throw PostgresStoreError(
                        .badRecord, "\(location): line \(i + 1) of the append is not UTF-8 text without NUL bytes")
                }
                candidates.append((line, lines.keys[i]))
            }
            let fresh = try insertKeys(of: candidates.map(\.key), from: first, in: t).map { candidates[$0] }
            var canonical: Int64 = 0
            var recordBytes: Int64 = 0
            for chunk in stride(from: 0, to: fresh.count, by: Self.rowsPerStatement) {
                let part = fresh[chunk..<min(fresh.count, chunk + Self.rowsPerStatement)]
                var binds = PostgresBindings()
                binds.append(part.indices.map { first + Int64($0) })
                binds.append(part.map(\.line))
                // What the rows take as stored comes back from the insert itself: summing it from
                // the table afterwards had the planner scan the whole table, every append.
                let stored = try t.query(
                    PostgresQuery(
                        unsafeSQL: """
                            WITH inserted AS (
                              INSERT INTO \(s).event (position, line) SELECT * FROM unnest($1::int8[], $2::text[])
                              RETURNING pg_column_size(line) AS size)
                            SELECT coalesce(sum(size), 0)::int8 FROM inserted
                            """,
                        binds: binds))
                recordBytes += try stored.first?.decode(Int64.self) ?? 0
                canonical += part.reduce(0) { $0 + Int64($1.line.utf8.count + 1) }
            }
            if !fresh.isEmpty {
                let end = first + Int64(fresh.count)
                try t.query(
                    PostgresQuery(
                        unsafeSQL: """
                            UPDATE \(s).log_head SET end_position = \(end), canonical_bytes = canonical_bytes + \(canonical),
                              record_bytes = record_bytes + \(recordBytes), last_appended_at = now()
                            """))
            }
            try beforeCommit?(t)
            return AppendOutcome(
                appended: fresh.count, duplicates: lines.count - fresh.count,
                positions: UInt64(first)..<(UInt64(first) + UInt64(fresh.count)))
        }
        lock.withLock { cachedEnd = max(cachedEnd, outcome.positions.upperBound) }
        return outcome
    }

    /// Inserts `keys` (distinct) at positions `first`, `first + 1`, … and returns the indices
    /// of those the log did not hold, in order, each now at `first` plus its rank among them.
    /// One statement per 4,096 keys both checks and inserts (`ON CONFLICT DO NOTHING`): a
    /// lookup before the insert walked the key index twice. When some were held, the new
    /// ones close up their positions after.
    private func insertKeys(of keys: [EventKey], from first: Int64, in t: PostgresSession.Transaction) throws -> [Int] {
        let s = location.schema
        var isNew = [Bool](repeating: false, count: keys.count)
        for chunk in stride(from: 0, to: keys.count, by: Self.rowsPerStatement) {
            let part = keys[chunk..<min(keys.count, chunk + Self.rowsPerStatement)]
            var binds = PostgresBindings()
            binds.append(part.map { Int64(bitPattern: $0.high) })
            binds.append(part.map { Int64(bitPattern: $0.low) })
            binds.append(part.indices.map { first + Int64($0) })
            let inserted = try t.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO \(s).event_key (key_high, key_low, position)
                        SELECT * FROM unnest($1::int8[], $2::int8[], $3::int8[]) ORDER BY 1, 2
                        ON CONFLICT DO NOTHING RETURNING position
                        """, binds: binds))
            for row in inserted { isNew[Int(try row.decode(Int64.self) - first)] = true }
        }
        let fresh = keys.indices.filter { isNew[$0] }
        // The keys that took a later position than their rank, with the position they keep.
        let moved = fresh.enumerated().filter { $0.offset != $0.element }
        for chunk in stride(from: 0, to: moved.count, by: Self.rowsPerStatement) {
            let part = moved[chunk..<min(moved.count, chunk + Self.rowsPerStatement)]
            var binds = PostgresBindings()
            binds.append(part.map { Int64(bitPattern: keys[$0.element].high) })
            binds.append(part.map { Int64(bitPattern: keys[$0.element].low) })
            binds.append(part.map { first + Int64($0.offset) })
            try t.query(
                PostgresQuery(
                    unsafeSQL: """
                        UPDATE \(s).event_key k SET position = m.position
                        FROM unnest($1::int8[], $2::int8[], $3::int8[]) AS m (high, low, position)
                        WHERE k.key_high = m.high AND k.key_low = m.low
                        """, binds: binds))
        }
        return fresh
    }

    public func contains(_ key: EventKey) throws -> Bool {
        let high = Int64(bitPattern: key.high)
        let low = Int64(bitPattern: key.low)
        var binds = PostgresBindings()
        binds.append(high)
        binds.append(low)
        return try !session.query(
            PostgresQuery(
                unsafeSQL: "SELECT 1 FROM \(location.schema).event_key WHERE key_high = $1 AND key_low = $2",
                binds: binds), doing: "looking up an event key"
        ).isEmpty
    }

    public func forEachLine(
        from position: UInt64, limit: Int?, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Bool
    ) throws {
        let end = try head().end
        var next = position
        let last = limit.map { min(end, position + UInt64(max(0, $0))) } ?? end
        while next < last {
            let upper = min(last, next + UInt64(Self.readPage))
            // The page is fetched whole before `body` runs, so `body` may append.
            let rows = try session.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT position, line FROM \(location.schema).event
                        WHERE position >= \(Int64(next)) AND position < \(Int64(upper)) ORDER BY position
                        """), doing: "reading the event log")
            for row in rows {
                // The line's bytes as they came, without making a String of them.
                let (at, line) = try row.decode((Int64, ByteBuffer).self)
                guard UInt64(at) == next else {
                    throw PostgresStoreError(
                        .wrongFormat, "\(location): the event log has no record at position \(next) (found \(at))")
                }
                let more = try line.withUnsafeReadableBytes { raw in
                    try body(
                        UInt64(at),
                        UnsafeBufferPointer(
                            start: raw.baseAddress?.assumingMemoryBound(to: UInt8.self), count: raw.count))
                }
                if !more { return }
                next += 1
            }
            guard next == upper else {
                throw PostgresStoreError(
                    .wrongFormat, "\(location): the event log ends at position \(next), its head says \(end)")
            }
        }
    }

    public func footprint() throws -> LogFootprint {
        let s = location.schema
        let row = try session.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT canonical_bytes, record_bytes,
                      pg_total_relation_size('\(s).event') + pg_total_relation_size('\(s).event_key')
                        + pg_total_relation_size('\(s).log_head')
                    FROM \(s).log_head
                    """), doing: "measuring the event log")
        guard let (canonical, record, stored) = try row.first?.decode((Int64, Int64, Int64).self) else {
            throw PostgresStoreError(.wrongFormat, "\(location): the event log's head row is missing")
        }
        return LogFootprint(storedBytes: Int(stored), recordBytes: Int(record), canonicalBytes: Int(canonical))
    }

    /// Checks that positions run without gaps to the end the head records, that each record is
    /// a canonical event whose key is the one stored for it, and that no key is stored for a
    /// record that is not there.
    public func verify() throws -> [String] {
        let s = location.schema
        var problems: [String] = []
        let end = try head().end
        let counts = try session.query(
            PostgresQuery(
                unsafeSQL: """
                    SELECT (SELECT count(*) FROM \(s).event), (SELECT coalesce(max(position), -1) FROM \(s).event),
                      (SELECT count(*) FROM \(s).event_key)
                    """), doing: "verifying the event log")
        if let (records, highest, keys) = try counts.first?.decode((Int64, Int64, Int64).self) {
            if records != Int64(end) || highest != Int64(end) - 1 {
                problems.append(
                    "\(location): the head says the log ends at \(end), but it holds \(records) records up to position \(highest)"
                )
            }
            if keys != records { problems.append("\(location): \(records) records but \(keys) event keys") }
        }
        // Each record against its stored key, in one pass in whatever order the server joins.
        let found = Problems()
        try session.forEachRow(
            PostgresQuery(
                unsafeSQL: """
                    SELECT e.position, e.line, k.key_high, k.key_low FROM \(s).event e
                    LEFT JOIN \(s).event_key k ON k.position = e.position
                    """), doing: "verifying the event log"
        ) { [location] row in
            let (at, line, high, low) = try row.decode((Int64, String, Int64?, Int64?).self)
            var text = line
            guard let key = text.withUTF8({ CanonicalLine.key(of: $0) }) else {
                found.add(at, "\(location): position \(at): a record that is not a canonical event")
                return
            }
            if high.map({ UInt64(bitPattern: $0) }) != key.high || low.map({ UInt64(bitPattern: $0) }) != key.low {
                found.add(at, "\(location): position \(at): the stored event key is not its source and event_id's")
            }
        }
        problems += found.sorted
        return problems
    }

    public var recoveryNotes: [String] { [] }

    /// Problems found on NIO's thread while rows stream in, in position order when done.
    private final class Problems: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        private let lock = NSLock()
        private var found: [(Int64, String)] = []
        func add(_ position: Int64, _ problem: String) { lock.withLock { found.append((position, problem)) } }
        var sorted: [String] { lock.withLock { found.sorted { $0.0 < $1.0 }.map(\.1) } }
    }

    /// Whether its connection is still open: a handle kept for many reads (a server's) is
    /// replaced once it is not.
    public var isOpen: Bool { session.isOpen }

    public func close() throws { try session.close() }
}
