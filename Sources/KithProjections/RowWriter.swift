import KithCore
import GRDB
import GRDBSQLite

/// One prepared write statement run row by row through SQLite's C API. GRDB's
/// `StatementArguments` box every value as an existential, which costs more than SQLite's own
/// work when a projection writes millions of rows; this binds integers directly, and text and
/// blobs from one buffer the writer keeps, so a row costs SQLite no allocation and no copy of
/// its own.
///
/// A bulk writer (`batching`) also queues rows and runs them `rowsPerStep` at a time, through
/// the same statement with its `VALUES (…)` group repeated: each run of a statement opens its
/// tables and indexes again, which costs as much as inserting the row, so one run per 128 rows
/// makes inserting about twice as fast.
///
/// For example:
/// ```swift
/// try RowWriter.batching(db, "INSERT INTO link (a, b) VALUES (?, ?)") { link in
///     for (a, b) in links { try link.run(.integer(a), .integer(b)) }
/// }
/// ```
final class RowWriter {
    enum Value {
        case integer(Int64)
        case text(String)
        /// Bound as its RFC 3339 text, rendered straight into the writer's buffer.
        case time(Timestamp)
        case blob([UInt8])
        case null
    }

    /// Rows a bulk writer runs at a time.
    static let bulkRows = 128

    private let connection: OpaquePointer
    private let sql: String
    /// The statement for one row, and for `rowsPerStep` rows if that is more than one.
    private let one: OpaquePointer
    private let many: OpaquePointer?
    /// Values per row: the statement's parameters.
    let columns: Int
    let rowsPerStep: Int
    /// Rows waiting for a statement of `rowsPerStep` rows, their values one after another.
    private var queued: [Value] = []
    /// The text and blob bytes of the rows being run, bound without a copy (`SQLITE_STATIC`):
    /// SQLite reads them during the step, and the bindings are cleared before the buffer changes.
    private var bytes: [UInt8] = []
    /// Where each value's bytes start in `bytes`, and where the last one ends.
    private var starts: [Int] = []

    /// Prepares `sql`. With `rowsPerStep` above one, its values must be one `VALUES (…)` group of
    /// `?`; rows are then queued until that many can run at once, and `flush()` runs the rest.
    init(_ db: Database, _ sql: String, rowsPerStep: Int = 1) throws {
        guard let connection = db.sqliteConnection else {
            throw ProjectionError(.unavailable, "the projection store is closed")
        }
        self.connection = connection
        self.sql = sql
        self.rowsPerStep = max(1, rowsPerStep)
        one = try Self.prepare(sql, on: connection)
        columns = Int(sqlite3_bind_parameter_count(one))
        if self.rowsPerStep > 1 {
            // Every value must be in the group, or the repeated statement would number them wrongly.
            guard let group = Self.valuesGroup(in: sql), sql[group].filter({ $0 == "?" }).count == columns else {
                throw ProjectionError(
                    .unavailable,
                    "`\(sql)` does not take all its values in one VALUES (…) group to repeat for several rows")
            }
            let repeated = Array(repeating: String(sql[group]), count: self.rowsPerStep).joined(separator: ", ")
            many = try Self.prepare(sql.replacingCharacters(in: group, with: repeated), on: connection)
        } else {
            many = nil
        }
        queued.reserveCapacity(columns * self.rowsPerStep)
    }

    deinit {
        sqlite3_finalize(one)
        if let many { sqlite3_finalize(many) }
    }

    /// Runs `body` with a bulk writer for `sql`, then the rows it still holds: the rows are all
    /// written when this returns, in the order they were given.
    static func batching(_ db: Database, _ sql: String, _ body: (RowWriter) throws -> Void) throws {
        let writer = try RowWriter(db, sql, rowsPerStep: bulkRows)
        try body(writer)
        try writer.flush()
    }

    func run(_ values: Value...) throws { try run(values) }

    /// Writes one row, or queues it until `rowsPerStep` rows can run together.
    func run(_ values: [Value]) throws {
        guard values.count == columns else {
            throw ProjectionError(.unavailable, "`\(sql)` takes \(columns) values a row, not \(values.count)")
        }
        guard let many else { return try step(one, values[...]) }
        queued.append(contentsOf: values)
        guard queued.count == columns * rowsPerStep else { return }
        try step(many, queued[...])
        queued.removeAll(keepingCapacity: true)
    }

    /// Writes the queued rows, one statement each.
    func flush() throws {
        defer { queued.removeAll(keepingCapacity: true) }
        for start in stride(from: 0, to: queued.count, by: columns) {
            try step(one, queued[start..<start + columns])
        }
    }

    private func step(_ statement: OpaquePointer, _ values: ArraySlice<Value>) throws {
        // A leading byte keeps the buffer's address non-nil: a nil pointer would bind NULL, not
        // empty text or an empty blob.
        bytes.removeAll(keepingCapacity: true)
        bytes.append(0)
        starts.removeAll(keepingCapacity: true)
        for value in values {
            starts.append(bytes.count)
            switch value {
            case .text(var s): s.withUTF8 { bytes.append(contentsOf: $0) }
            case .time(let t): t.append(to: &bytes)
            case .blob(let b): bytes.append(contentsOf: b)
            case .integer, .null: break
            }
        }
        starts.append(bytes.count)
        defer {
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
        }
        let code = try bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return SQLITE_MISUSE }
            for (i, value) in zip(0..., values) {
                let at = base + starts[i]
                let count = Int32(starts[i + 1] - starts[i])
                let index = Int32(i + 1)
                let bound: Int32
                switch value {
                case .integer(let v): bound = sqlite3_bind_int64(statement, index, v)
                case .null: bound = sqlite3_bind_null(statement, index)
                case .text, .time:
                    bound = at.withMemoryRebound(to: CChar.self, capacity: Int(count)) {
                        sqlite3_bind_text(statement, index, $0, count, unowned)
                    }
                case .blob: bound = sqlite3_bind_blob(statement, index, at, count, unowned)
                }
                guard bound == SQLITE_OK else { throw failure("cannot bind value \(index) of") }
            }
            return sqlite3_step(statement)
        }
        guard code == SQLITE_DONE else { throw failure("cannot run") }
    }

    private func failure(_ what: String) -> ProjectionError {
        ProjectionError(.unavailable, "\(what) `\(sql)`: \(String(cString: sqlite3_errmsg(connection)))")
    }

    private static func prepare(_ sql: String, on connection: OpaquePointer) throws -> OpaquePointer {
        var handle: OpaquePointer?
        guard sqlite3_prepare_v2(connection, sql, -1, &handle, nil) == SQLITE_OK, let handle else {
            throw ProjectionError(
                .unavailable, "cannot prepare `\(sql)`: \(String(cString: sqlite3_errmsg(connection)))")
        }
        return handle
    }

    /// The `(…)` after `VALUES`, parentheses included.
    private static func valuesGroup(in sql: String) -> Range<String.Index>? {
        guard let values = sql.range(of: "VALUES ("),
            let close = sql[values.upperBound...].firstIndex(of: ")")
        else { return nil }
        return sql.index(before: values.upperBound)..<sql.index(after: close)
    }
}

/// No destructor (`SQLITE_STATIC`): SQLite reads the bytes where they are while they stay bound.
private let unowned: sqlite3_destructor_type? = nil
