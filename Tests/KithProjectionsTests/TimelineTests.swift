import Foundation
import GRDB
import KithCore
import KithGenerator
import KithLog
import Testing

@testable import KithProjections

@Suite("Timelines and evidence read from the log")
struct TimelineTests {
    @Test("Timeline entries decode to what was appended, batch after batch (property)")
    func entriesRoundTrip() throws {
        var rng = SplitMix64(seed: 11)
        for _ in 0..<200 {
            var bytes: [UInt8] = []
            var expected: [TimelineIndex.Entry] = []
            for _ in 0..<rng.int(0..<20) {
                let entry = TimelineIndex.Entry(
                    position: rng.next() >> 8, epochSeconds: Int64(bitPattern: rng.next()),
                    type: rng.pick(EventType.allCases))
                TimelineIndex.append(entry, to: &bytes)
                expected.append(entry)
            }
            #expect(TimelineIndex.entries(bytes) == expected)
            if !bytes.isEmpty {
                #expect(TimelineIndex.entries(Array(bytes.dropLast())) == nil, "a cut entry is damage")
                var unknownType = bytes
                unknownType[7] = 0xEE
                #expect(TimelineIndex.entries(unknownType) == nil, "an unknown type code is damage")
            }
        }
    }

    @Test("Schema v5 turns the event rows of a v4 store into per-value timelines")
    func migratesEventRows() throws {
        let scratch = Scratch()
        let path = scratch.path + "/p.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteProjectionStore.migrator.migrate(
                queue, upTo: "v4: links from either end (the projector loads neighbourhoods on demand)")
            try queue.write { db in
                for node in [1, 2] {
                    try db.execute(
                        sql: "INSERT INTO node_stats (node, stats) VALUES (?, ?)",
                        arguments: [node, Data(NodeStats().binaryEncoded())])
                }
                let rows: [(Int, Int?, String, Int64)] = [
                    (0, 1, "behaviour", 1_770_000_000), (1, 2, "transaction", 1_770_000_500), (2, nil, "feedback", 5),
                    (3, 1, "feedback", -86_400), (4, 1, "interaction", 1_770_000_100),
                ]
                for (position, anchor, type, epoch) in rows {
                    try db.execute(
                        sql: """
                            INSERT INTO event (position, event_id, anchor, type, name, source, occurred_at, occurred_epoch)
                            VALUES (?, ?, ?, ?, 'n', 's', 't', ?)
                            """,
                        arguments: [position, "e\(position)", anchor, type, epoch])
                }
            }
        }
        let store = try SQLiteProjectionStore(path: path)
        let timelines = try store.pool.read { db in
            #expect(try db.tableExists("event") == false)
            return try Row.fetchAll(db, sql: "SELECT node, timeline FROM node_stats ORDER BY node").map {
                TimelineIndex.entries([UInt8]($0[1] as Data))
            }
        }
        #expect(
            timelines == [
                [
                    .init(position: 0, epochSeconds: 1_770_000_000, type: .behaviour),
                    .init(position: 3, epochSeconds: -86_400, type: .feedback),
                    .init(position: 4, epochSeconds: 1_770_000_100, type: .interaction),
                ],
                [.init(position: 1, epochSeconds: 1_770_000_500, type: .transaction)],
            ])
    }

    @Test("Explain names the event that made each link, read from the log")
    func explainNamesTheEvents() throws {
        let scratch = Scratch()
        let log = try EventLogWriter(directory: scratch.path + "/log")
        let linking =
            #"{"event_id":"evt-link-1","source":"wecom","type":"interaction","name":"chat","occurred_at":"2026-05-02T09:30:00+08:00","identifiers":{"member_id":"M-9","phone":"13900000009"}}"#
        try append(
            [event(["member_id": "M-9"]), linking, event(["member_id": "M-9", "phone": "13900000009"])], to: log)
        let store = try SQLiteProjectionStore(path: scratch.path + "/p.sqlite")
        _ = try Projector(store: store, rules: .standard).catchUp(
            with: try EventLogReader(directory: scratch.path + "/log"))
        let id = try #require(try store.resolve("phone:13900000009")?.current)
        let explanation = try store.explain(id, in: try EventLogReader(directory: scratch.path + "/log"))
        let link = try #require(explanation.links.first)
        #expect(explanation.links.count == 1)
        #expect(link.evidence.position == 1)
        #expect(link.evidence.eventID == "evt-link-1")
        #expect(link.evidence.source == "wecom")
        #expect(link.evidence.occurredAt == "2026-05-02T09:30:00+08:00")
        #expect(link.evidence.events == 2)
    }

    @Test("A timeline that points past the end of the log says the log lost events")
    func logShorterThanProjection() throws {
        let scratch = Scratch()
        let log = try EventLogWriter(directory: scratch.path + "/log")
        try append([event(["member_id": "M-1"]), event(["member_id": "M-1"])], to: log)
        let store = try SQLiteProjectionStore(path: scratch.path + "/p.sqlite")
        _ = try Projector(store: store, rules: .standard).catchUp(
            with: try EventLogReader(directory: scratch.path + "/log"))
        let id = try #require(try store.resolve("member_id:M-1")?.current)
        #expect(try store.timeline(id, limit: 5, in: try EventLogReader(directory: scratch.path + "/log")).count == 2)
        let empty = try EventLogReader(directory: scratch.path + "/no-log")
        #expect(throws: ProjectionError.self) { try store.timeline(id, limit: 5, in: empty) }
    }
}
