import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO

/// One connection to PostgreSQL, used from the synchronous code the ports are written in.
///
/// The ports are synchronous (a rebuild is a loop, not a pipeline of awaits), so every query
/// waits on its `EventLoopFuture`. The futures run on NIO's own threads, never on Swift's
/// cooperative pool, so waiting on one from a server's request handler cannot starve the pool
/// that would complete it. Queries on one session run one at a time; a transaction holds the
/// session until it ends.
public final class PostgresSession: @unchecked Sendable {
    // @unchecked: `connection` is only used under `lock`.
    public let location: PostgresLocation
    private let connection: PostgresConnection
    private let lock = NSLock()
    /// Fails the statement outstanding when the connection closes (see `untilClosed`).
    private let outstanding = Outstanding()

    /// Logs nothing below critical: postgres-nio's debug logs carry queries and their values.
    static let logger: Logger = {
        var logger = Logger(label: "kith.postgres")
        logger.logLevel = .critical
        return logger
    }()

    /// Connects and logs in, or throws one line naming the server and the cause.
    public init(_ location: PostgresLocation, connectTimeout: TimeAmount = .seconds(10)) throws {
        self.location = location
        var configuration = PostgresConnection.Configuration(
            host: location.host, port: location.port, username: location.user, password: location.password,
            database: location.database, tls: .disable)
        configuration.options.connectTimeout = connectTimeout
        do {
            connection = try PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(), configuration: configuration, id: 1,
                logger: Self.logger
            ).wait()
        } catch {
            throw PostgresStoreError(error, at: location, doing: "connecting")
        }
        connection.closeFuture.whenComplete { [outstanding] _ in outstanding.connectionClosed() }
        // Kith's statements are short and many: compiling one with JIT (which the planner
        // picks by cost on a table it has no statistics for yet) takes longer than running it.
        try query("SET jit = off", doing: "connecting")
    }

    /// Closes without waiting (the last reference may go on any thread, an event loop's too);
    /// the connection is kept until it has closed.
    deinit {
        let connection = connection
        connection.close().whenComplete { _ in withExtendedLifetime(connection) {} }
    }

    /// Runs one statement outside any transaction (it commits by itself) and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery, doing what: String) throws -> [PostgresRow] {
        try lock.withLock { try run(query, doing: what) }
    }

    /// Runs one statement and hands `body` each row as it arrives, on NIO's thread, without
    /// keeping them all: for passes over a whole table.
    public func forEachRow(
        _ query: PostgresQuery, doing what: String, _ body: @escaping @Sendable (PostgresRow) throws -> Void
    ) throws {
        try lock.withLock {
            do {
                _ = try untilClosed(connection.query(query, logger: Self.logger, body))
            } catch {
                throw PostgresStoreError(error, at: location, doing: what)
            }
        }
    }

    /// Sends one statement outside any transaction and returns its rows' future, without
    /// waiting: for callers that must not block a thread (a server's lookups await it). Fails,
    /// as the waiting calls do, when the connection closes first. The session is taken only to
    /// send it, so it waits for nothing but a transaction another thread runs on this session.
    public func send(_ query: PostgresQuery, doing what: String) -> EventLoopFuture<[PostgresRow]> {
        let promise = connection.eventLoop.makePromise(of: [PostgresRow].self)
        lock.withLock {
            guard outstanding.begin({ promise.fail($0) }) else {
                promise.fail(ConnectionEnded())
                return
            }
            connection.query(query, logger: Self.logger).map { Array($0) }.cascade(to: promise)
        }
        let location = location
        return promise.futureResult.always { [outstanding] _ in outstanding.end() }
            .flatMapErrorThrowing { throw PostgresStoreError($0, at: location, doing: what) }
    }

    /// The event loop the connection's futures complete on.
    public var eventLoop: any EventLoop { connection.eventLoop }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws
    /// (and, by the server, when the connection dies first).
    /// A `snapshot` transaction only reads, and sees one committed state of the database
    /// throughout (repeatable read), however many statements it runs.
    public func transaction<T>(doing what: String, snapshot: Bool = false, _ body: (Transaction) throws -> T) throws
        -> T
    {
        try lock.withLock {
            // A snapshot's BEGIN and COMMIT go out without waiting for their answers: statements on
            // one connection run in order, so the first read waits for the BEGIN, and the next
            // statement for the COMMIT (a lookup is a handful of round trips; two of them were
            // these). A read-only transaction has nothing a failed COMMIT could lose.
            if snapshot {
                send("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            } else {
                try run("BEGIN", doing: what)
            }
            let result: T
            do {
                result = try body(Transaction(session: self, what: what))
            } catch {
                _ = try? run("ROLLBACK", doing: what)
                throw error
            }
            if snapshot { send("COMMIT") } else { try run("COMMIT", doing: what) }
            return result
        }
    }

    /// The statements of one transaction.
    public struct Transaction {
        fileprivate let session: PostgresSession
        fileprivate let what: String

        @discardableResult
        public func query(_ query: PostgresQuery) throws -> [PostgresRow] { try session.run(query, doing: what) }

        /// Runs `select` through a cursor and hands `body` its rows, `page` at a time (never all
        /// at once, and on the caller's thread), until it returns false or the rows end.
        public func forEachRow(
            _ select: PostgresQuery, page: Int = 10_000, _ body: (PostgresRow) throws -> Bool
        ) throws {
            let name = "kith_scan_\(session.nextCursor())"
            var declare = select
            declare.sql = "DECLARE \(name) NO SCROLL CURSOR FOR " + select.sql
            try query(declare)
            scanning: while true {
                let rows = try query(PostgresQuery(unsafeSQL: "FETCH \(page) FROM \(name)"))
                for row in rows where try !body(row) { break scanning }
                if rows.count < page { break }
            }
            try query(PostgresQuery(unsafeSQL: "CLOSE \(name)"))
        }

        /// Loads `rows` into `table` with `COPY … FROM STDIN` in text form, PostgreSQL's fastest
        /// way in (about twice the rate of an `INSERT … SELECT FROM unnest(…)` of the same rows):
        /// for a bulk load's tables. `line` appends one row's line, its fields written with
        /// `PostgresCopyText`.
        public func copy<Row: Sendable>(
            into table: String, columns: [String], rows: [Row],
            line: @escaping @Sendable (Row, inout ByteBuffer) -> Void
        ) throws {
            try session.copy(into: table, columns: columns, rows: rows, line: line, doing: what)
        }

        /// The server process serving this transaction (what a crash test terminates).
        public func backendProcessID() throws -> Int32 {
            try query("SELECT pg_backend_pid()").first?.decode(Int32.self) ?? 0
        }
    }

    /// `Transaction.copy` (the caller holds `lock`). postgres-nio has `COPY` only as `async`;
    /// it runs on `WaitingThreadExecutor`, never on the cooperative threads this one may be
    /// blocking, and fails, like every statement, if the connection closes first.
    fileprivate func copy<Row: Sendable>(
        into table: String, columns: [String], rows: [Row], line: @escaping @Sendable (Row, inout ByteBuffer) -> Void,
        doing what: String
    ) throws {
        let promise = connection.eventLoop.makePromise(of: Void.self)
        guard outstanding.begin({ promise.fail($0) }) else {
            throw PostgresStoreError(ConnectionEnded(), at: location, doing: what)
        }
        defer { outstanding.end() }
        let connection = connection
        // postgres-nio writes `COPY "<table>"`: a schema-qualified name (Kith's own, checked
        // identifiers) goes in as `schema"."table`, to come out as `"schema"."table"`.
        let quoted = table.split(separator: ".").joined(separator: "\".\"")
        Task(executorPreference: WaitingThreadExecutor.shared) {
            do {
                try await connection.copyFrom(table: quoted, columns: columns, logger: Self.logger) { writer in
                    let flushAt = 1 << 20
                    var buffer = ByteBuffer()
                    buffer.reserveCapacity(flushAt + 4096)
                    for row in rows {
                        line(row, &buffer)
                        if buffer.readableBytes >= flushAt {
                            try await writer.write(buffer)
                            buffer.clear()
                        }
                    }
                    if buffer.readableBytes > 0 { try await writer.write(buffer) }
                }
                promise.succeed(())
            } catch {
                promise.fail(error)
            }
        }
        do { try promise.futureResult.wait() } catch { throw PostgresStoreError(error, at: location, doing: what) }
    }

    private var cursors = 0
    /// A number for a cursor's name, distinct within the session (the caller holds `lock`).
    fileprivate func nextCursor() -> Int {
        cursors += 1
        return cursors
    }

    /// Whether the connection is still open (a server restart or a network failure closes it).
    public var isOpen: Bool { !connection.isClosed }

    /// Closes the connection; the session cannot be used after.
    public func close() throws {
        try lock.withLock {
            do { try connection.close().wait() } catch {
                throw PostgresStoreError(error, at: location, doing: "closing")
            }
        }
    }

    /// Sends `query` without waiting for its answer (the caller holds `lock`); a failure shows
    /// in the next statement that waits.
    private func send(_ query: PostgresQuery) {
        _ = connection.query(query, logger: Self.logger)
    }

    /// Runs `query` (the caller holds `lock`).
    @discardableResult
    private func run(_ query: PostgresQuery, doing what: String) throws -> [PostgresRow] {
        do {
            return try Array(untilClosed(connection.query(query, logger: Self.logger)))
        } catch {
            throw PostgresStoreError(error, at: location, doing: what)
        }
    }

    /// Waits for `future`, and fails if the connection closes first. postgres-nio drops a query
    /// written to a connection that is closing (the server ended it, or the network did)
    /// without ever completing its future, and waiting on that future would wait forever.
    /// One callback on the connection's close fails whichever statement is outstanding: a
    /// callback per statement would keep every statement's rows alive as long as the session.
    private func untilClosed<T: Sendable>(_ future: EventLoopFuture<T>) throws -> T {
        let promise = connection.eventLoop.makePromise(of: T.self)
        future.cascade(to: promise)
        // Both complete on the connection's event loop, so whichever comes first wins; the
        // second completion of a promise is ignored.
        if !outstanding.begin({ promise.fail($0) }) { promise.fail(ConnectionEnded()) }
        defer { outstanding.end() }
        return try promise.futureResult.wait()
    }

    /// The way to fail the one statement a session has outstanding.
    private final class Outstanding: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        private let lock = NSLock()
        private var closed = false
        private var fail: (@Sendable (any Error) -> Void)?

        /// Records how to fail the statement; false if the connection has closed already.
        func begin(_ fail: @escaping @Sendable (any Error) -> Void) -> Bool {
            lock.withLock {
                if closed { return false }
                self.fail = fail
                return true
            }
        }

        func end() { lock.withLock { fail = nil } }

        func connectionClosed() {
            let fail = lock.withLock {
                closed = true
                defer { self.fail = nil }
                return self.fail
            }
            fail?(ConnectionEnded())
        }
    }
}

/// The connection to the server ended while a statement was outstanding.
struct ConnectionEnded: Error, CustomStringConvertible {
    var description: String { "the connection ended (the server closed it or the network failed)" }
}
