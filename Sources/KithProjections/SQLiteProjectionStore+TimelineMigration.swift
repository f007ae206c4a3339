import Foundation
import GRDB
import KithCore

extension SQLiteProjectionStore {
    /// Schema v5: the `event` table (a row per event) becomes a timeline blob per anchor value.
    static func moveEventsToTimelines(_ db: Database) throws {
        try db.execute(sql: "ALTER TABLE node_stats ADD COLUMN timeline BLOB NOT NULL DEFAULT x''")
        let rows = try Row.fetchCursor(
            db,
            sql:
                "SELECT anchor, position, occurred_epoch, type FROM event WHERE anchor IS NOT NULL ORDER BY anchor, position"
        )
        let update = try RowWriter(db, "UPDATE node_stats SET timeline = ? WHERE node = ?")
        var anchor: Int64?
        var bytes: [UInt8] = []
        func flush() throws {
            if let anchor { try update.run(.blob(bytes), .integer(anchor)) }
            bytes = []
        }
        while let row = try rows.next() {
            let node: Int64 = row[0]
            if node != anchor {
                try flush()
                anchor = node
            }
            let position = UInt64(row[1] as Int64)
            guard let type = EventType(rawValue: row[3]) else {
                throw ProjectionError(
                    .needsRebuild, "the event at log position \(position) has type \"\(row[3] as String)\""
                )
            }
            TimelineIndex.append(.init(position: position, epochSeconds: row[2], type: type), to: &bytes)
        }
        try flush()
        try db.execute(sql: "DROP TABLE event")
    }
}
