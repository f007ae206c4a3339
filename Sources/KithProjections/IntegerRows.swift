import KithCore
import GRDB
import GRDBSQLite

/// A query of integer columns stepped through SQLite's C API, for scans over every profile.
/// GRDB decodes each column through a generic conversion, which cost more than SQLite's own
/// work when the RFM refresh read 400,000 profiles after every ingest.
///
/// For example:
/// ```swift
/// try IntegerRows(db, "SELECT orders, last_order FROM profile_rfm").forEach { row in print(row[0], row[1]) }
/// ```
struct IntegerRows {
    /// One row's columns, NULL as nil; valid only inside `forEach`'s body.
    struct Row {
        fileprivate let handle: OpaquePointer

        subscript(column: Int32) -> Int64? {
            sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
        }
    }

    private let db: Database
    private let sql: String

    init(_ db: Database, _ sql: String) {
        self.db = db
        self.sql = sql
    }

    func forEach(_ body: (Row) throws -> Void) throws {
        guard let connection = db.sqliteConnection else {
            throw ProjectionError(.unavailable, "the projection store is closed")
        }
        var prepared: OpaquePointer?
        guard sqlite3_prepare_v2(connection, sql, -1, &prepared, nil) == SQLITE_OK, let handle = prepared else {
            throw failure("cannot prepare", connection)
        }
        defer { sqlite3_finalize(handle) }
        while true {
            switch sqlite3_step(handle) {
            case SQLITE_ROW: try body(Row(handle: handle))
            case SQLITE_DONE: return
            default: throw failure("cannot read", connection)
            }
        }
    }

    private func failure(_ what: String, _ connection: OpaquePointer) -> ProjectionError {
        ProjectionError(.unavailable, "\(what) `\(sql)`: \(String(cString: sqlite3_errmsg(connection)))")
    }
}
