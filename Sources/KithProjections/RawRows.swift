import KithCore
import GRDB
import GRDBSQLite

/// A query stepped through SQLite's C API, for scans over every profile or value. GRDB decodes
/// each column through a generic conversion, and makes a `String` of every text, which cost
/// more than SQLite's own work when the RFM refresh read 400,000 profiles after every ingest.
///
/// For example:
/// ```swift
/// try RawRows(db, "SELECT orders, last_order FROM profile_rfm").forEach { row in print(row[0], row[1]) }
/// ```
struct RawRows {
    /// One row's columns; valid only inside `forEach`'s body.
    struct Row {
        fileprivate let handle: OpaquePointer

        /// An integer column, NULL as nil.
        subscript(column: Int32) -> Int64? {
            sqlite3_column_type(handle, column) == SQLITE_NULL ? nil : sqlite3_column_int64(handle, column)
        }

        /// An integer column (NULL reads as 0).
        func integer(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

        /// A text column's UTF-8 bytes (NULL reads as empty), valid until the next row.
        func bytes(_ column: Int32) -> UnsafeRawBufferPointer {
            guard let text = sqlite3_column_text(handle, column) else {
                return UnsafeRawBufferPointer(start: nil, count: 0)
            }
            return UnsafeRawBufferPointer(start: text, count: Int(sqlite3_column_bytes(handle, column)))
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
