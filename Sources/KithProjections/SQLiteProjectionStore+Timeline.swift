import Foundation
import GRDB
import KithCore

extension SQLiteProjectionStore {
    public struct TimelineEntry: Codable, Sendable {
        public var position: UInt64
        public var eventID: String
        public var type: String
        public var name: String
        public var source: String
        public var occurredAt: String

        public init(position: UInt64, eventID: String, type: String, name: String, source: String, occurredAt: String) {
            self.position = position
            self.eventID = eventID
            self.type = type
            self.name = name
            self.source = source
            self.occurredAt = occurredAt
        }

        enum CodingKeys: String, CodingKey {
            case position, type, name, source
            case eventID = "event_id"
            case occurredAt = "occurred_at"
        }

        /// Where the next page starts.
        public var cursor: TimelineCursor { TimelineCursor(occurredAt: occurredAt, position: position) }
    }

    /// A profile's events, newest first: the store knows where they sit in the log (see
    /// `TimelineIndex`), the log holds the events. `before` is where the previous page ended.
    public func timeline(
        _ profile: String, limit: Int, type: String? = nil, before: TimelineCursor? = nil, in log: some EventLogReading
    ) throws -> [TimelineEntry] {
        guard limit > 0 else { return [] }
        var wantedType: EventType?
        if let type {
            guard let known = EventType(rawValue: type) else { return [] }
            wantedType = known
        }
        let cursor = before.flatMap { b in
            (try? Timestamp.parse(b.occurredAt).get()).map { (epoch: $0.epochSeconds, position: b.position) }
        }
        var entries = try pool.read { db in
            var out: [TimelineIndex.Entry] = []
            try Self.forEachRow(
                "SELECT node, timeline FROM node_stats", whereColumn: "node", in: try nodes(of: profile, db), db
            ) { row in
                guard let decoded = TimelineIndex.entries([UInt8](row[1] as Data)) else {
                    throw ProjectionError(
                        "value #\(row[0] as Int64)'s timeline is damaged; rebuild with kith project --rebuild")
                }
                out += decoded
            }
            return out
        }
        entries.removeAll { e in
            if let wantedType, e.type != wantedType { return true }
            if let cursor {
                return
                    !(e.epochSeconds < cursor.epoch || (e.epochSeconds == cursor.epoch && e.position < cursor.position))
            }
            return false
        }
        entries.sort { ($0.epochSeconds, $0.position) > ($1.epochSeconds, $1.position) }
        let page = entries.prefix(limit)
        let events = try log.events(at: page.map(\.position))
        return try page.map { entry in
            guard let e = events[entry.position] else {
                throw ProjectionError(
                    "the projection lists an event at log position \(entry.position), but the log ends at \(log.endPosition): "
                        + "the log lost events; rebuild with kith project --rebuild")
            }
            return TimelineEntry(
                position: e.position, eventID: e.eventID, type: e.type.rawValue, name: e.name, source: e.source,
                occurredAt: e.occurredAt.description)
        }
    }

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
                    "the event at log position \(position) has type \"\(row[3] as String)\"; rebuild with kith project --rebuild"
                )
            }
            TimelineIndex.append(.init(position: position, epochSeconds: row[2], type: type), to: &bytes)
        }
        try flush()
        try db.execute(sql: "DROP TABLE event")
    }
}
