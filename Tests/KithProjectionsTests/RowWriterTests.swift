import Foundation
import GRDB
import KithCore
import KithGenerator
import Testing

@testable import KithProjections

@Suite("Row writer: many rows a statement, bound without copies")
struct RowWriterTests {
    /// A row of every kind of value the writer binds.
    struct Written: Equatable {
        var id: Int64
        var text: String?
        var blob: [UInt8]?
        var time: Timestamp?
    }

    static func randomRows(_ count: Int, _ rng: inout SplitMix64) -> [Written] {
        let texts = ["", "a", "李雷", "x,y", String(repeating: "z", count: 300)]
        return (0..<count).map { i in
            Written(
                id: Int64(i) * 3 + Int64(rng.int(0..<3)),
                text: rng.int(0..<6) == 0 ? nil : texts[rng.int(0..<texts.count)],
                blob: rng.int(0..<6) == 0
                    ? nil : (0..<rng.int(0..<40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) },
                time: rng.int(0..<6) == 0
                    ? nil
                    : Timestamp(
                        epochSeconds: Int64(rng.int(0..<2_000_000_000)), offsetMinutes: Int16(rng.int(-720..<840))))
        }
    }

    static func table(_ db: Database) throws -> [Written] {
        try Row.fetchAll(db, sql: "SELECT id, t, b, ts FROM r ORDER BY id").map {
            Written(
                id: $0[0], text: $0[1], blob: ($0[2] as Data?).map { Array($0) },
                time: ($0[3] as String?).flatMap { try? Timestamp.parse($0).get() })
        }
    }

    @Test(
        "Rows written in bulk read back as written, and as row by row: any count, text, blobs, times, NULL (property)",
        arguments: [0, 1, 127, 128, 129, 300, 1000])
    func bulkEqualsRowByRow(count: Int) throws {
        var rng = SplitMix64(seed: UInt64(count) + 5)
        let rows = Self.randomRows(count, &rng)
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE r (id INTEGER PRIMARY KEY, t TEXT, b BLOB, ts TEXT)")
            let sql = "INSERT INTO r (id, t, b, ts) VALUES (?, ?, ?, ?)"
            func values(_ r: Written) -> [RowWriter.Value] {
                [
                    .integer(r.id), r.text.map { .text($0) } ?? .null, r.blob.map { .blob($0) } ?? .null,
                    r.time.map { .time($0) } ?? .null,
                ]
            }
            try RowWriter.batching(db, sql) { w in for r in rows { try w.run(values(r)) } }
            let bulk = try Self.table(db)
            let asGiven = bulk == rows
            #expect(asGiven, "\(bulk.count) rows read back differ from the \(rows.count) written")
            try db.execute(sql: "DELETE FROM r")
            let one = try RowWriter(db, sql)
            for r in rows { try one.run(values(r)) }
            let rowByRow = try Self.table(db) == bulk
            #expect(rowByRow, "rows written one by one read back differently from rows written in bulk")
        }
    }

    @Test("An upsert meeting its own key twice in one statement acts as two statements would")
    func upsertWithinOneStep() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE s (node INTEGER PRIMARY KEY, timeline BLOB NOT NULL)")
            let sql = """
                INSERT INTO s (node, timeline) VALUES (?, ?)
                ON CONFLICT(node) DO UPDATE SET timeline = CAST(s.timeline || excluded.timeline AS BLOB)
                """
            try RowWriter.batching(db, sql) { w in
                for i in 0..<(RowWriter.bulkRows * 2 + 7) { try w.run(.integer(Int64(i % 5)), .blob([UInt8(i % 251)])) }
            }
            let rows = try Row.fetchAll(db, sql: "SELECT node, timeline FROM s ORDER BY node")
            #expect(rows.count == 5)
            for row in rows {
                let node: Int64 = row[0]
                let expected = (0..<(RowWriter.bulkRows * 2 + 7)).filter { $0 % 5 == Int(node) }.map { UInt8($0 % 251) }
                #expect(Array(row[1] as Data) == expected, "node \(node)")
            }
        }
    }

    @Test("A row with the wrong number of values is refused, naming the statement")
    func wrongArity() throws {
        let queue = try DatabaseQueue()
        try queue.write { db in
            try db.execute(sql: "CREATE TABLE l (a INTEGER PRIMARY KEY, b INTEGER)")
            let w = try RowWriter(db, "INSERT INTO l (a, b) VALUES (?, ?)", rowsPerStep: 4)
            #expect(w.columns == 2)
            #expect(throws: ProjectionError.self) { try w.run(.integer(1)) }
            #expect(throws: ProjectionError.self) { try RowWriter(db, "DELETE FROM l WHERE a = ?", rowsPerStep: 4) }
            // A value outside the group would be numbered wrongly once the group repeats.
            let upsert = "INSERT INTO l (a, b) VALUES (?, 1) ON CONFLICT(a) DO UPDATE SET b = ?"
            #expect(throws: ProjectionError.self) { try RowWriter(db, upsert, rowsPerStep: 4) }
            #expect(try RowWriter(db, upsert).columns == 2)
        }
    }
}
