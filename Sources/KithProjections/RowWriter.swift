import KithCore
import GRDB
import GRDBSQLite

/// One prepared write statement run row by row through SQLite's C API. GRDB's
/// `StatementArguments` box every value as an existential, which costs more than SQLite's own
/// work when a projection writes millions of rows; this binds integers and text directly.
///
/// For example:
/// ```swift
/// let insert = try RowWriter(db, "INSERT INTO link (a, b) VALUES (?, ?)")
/// try insert.run(.integer(1), .integer(2))
/// ```
final class RowWriter {
    enum Value {
        case integer(Int64)
        case text(String)
        case blob([UInt8])
        case null
    }

    private let handle: OpaquePointer
    private let connection: OpaquePointer
    private let sql: String

    init(_ db: Database, _ sql: String) throws {
        guard let connection = db.sqliteConnection else {
            throw ProjectionError(.unavailable, "the projection store is closed")
        }
        var handle: OpaquePointer?
        guard sqlite3_prepare_v2(connection, sql, -1, &handle, nil) == SQLITE_OK, let handle else {
            throw ProjectionError(
                .unavailable, "cannot prepare `\(sql)`: \(String(cString: sqlite3_errmsg(connection)))")
        }
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    func run(_ values: Value...) throws { try run(values) }

    func run(_ values: [Value]) throws {
        defer {
            sqlite3_reset(handle)
            sqlite3_clear_bindings(handle)
        }
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
        let code = sqlite3_step(handle)
        guard code == SQLITE_DONE else { throw failure("cannot run") }
    }

    private func bind(_ value: Value, at index: Int32) throws {
        let code: Int32
        switch value {
        case .integer(let v):
            code = sqlite3_bind_int64(handle, index, v)
        case .null:
            code = sqlite3_bind_null(handle, index)
        case .text(var s):
            // A nil pointer would bind NULL, not the empty string.
            code =
                s.isEmpty
                ? sqlite3_bind_text(handle, index, "", 0, transient)
                : s.withUTF8 { sqlite3_bind_text(handle, index, $0.baseAddress, Int32($0.count), transient) }
        case .blob(let bytes):
            code =
                bytes.isEmpty
                ? sqlite3_bind_zeroblob(handle, index, 0)
                : bytes.withUnsafeBytes { sqlite3_bind_blob(handle, index, $0.baseAddress, Int32($0.count), transient) }
        }
        guard code == SQLITE_OK else { throw failure("cannot bind value \(index) of") }
    }

    private func failure(_ what: String) -> ProjectionError {
        ProjectionError(.unavailable, "\(what) `\(sql)`: \(String(cString: sqlite3_errmsg(connection)))")
    }
}

/// SQLite copies the bytes before the bind returns (`SQLITE_TRANSIENT`).
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
