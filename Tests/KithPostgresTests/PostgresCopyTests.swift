import Foundation
import KithGenerator
import KithTestSupport
import NIOCore
import PostgresNIO
import Testing

@testable import KithPostgres

/// `COPY` in text form, which bulk loads fill their large tables with: every field comes back
/// as it went in, whatever bytes it holds.
@Suite struct PostgresCopyTests {
    @Test("rows with backslashes, tabs, newlines, NULLs, extreme integers and raw bytes come back as they went in")
    func copiedRowsComeBackWhole() throws {
        let location = try PostgresTestServer.freshLocation()
        defer { PostgresTestServer.drop(location) }
        let session = try PostgresSession(location)
        let table = "\(location.schema).copied"
        try session.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: location.schema)", doing: "making the schema")
        try session.query(
            PostgresQuery(
                unsafeSQL:
                    "CREATE TABLE \(table) (n bigint, t text COLLATE \"C\", maybe text, flag boolean, raw bytea, seq int)"
            ),
            doing: "making the table")
        let texts = [
            "plain", "back\\slash", "tab\there", "new\nline", "carriage\rreturn", "\\N", "\\x00", "",
            "张伟 ✓", "trailing\\",
        ]
        typealias Row = (n: Int64, t: String, maybe: String?, flag: Bool, raw: [UInt8], seq: Int)
        var rows: [Row] = []
        var generator = SplitMix64.forTest("PostgresCopyTests.copiedRowsComeBackWhole")
        for (i, text) in texts.enumerated() {
            let integers: [Int64] = [0, -1, .min, .max, 42, -9_007_199_254_740_993]
            rows.append(
                (
                    integers[i % integers.count], text, i % 3 == 0 ? nil : text + "!", i % 2 == 0,
                    (0..<(i * 7)).map { _ in UInt8(truncatingIfNeeded: generator.next()) }, i
                ))
        }
        rows.append((7, "all bytes", nil, true, Array(0...255), rows.count))
        try session.transaction(doing: "copying") { t in
            try t.copy(into: table, columns: ["n", "t", "maybe", "flag", "raw", "seq"], rows: rows) { row, b in
                PostgresCopyText.integer(row.n, &b)
                PostgresCopyText.tab(&b)
                PostgresCopyText.text(row.t, &b)
                PostgresCopyText.tab(&b)
                PostgresCopyText.text(row.maybe, &b)
                PostgresCopyText.tab(&b)
                PostgresCopyText.boolean(row.flag, &b)
                PostgresCopyText.tab(&b)
                PostgresCopyText.bytes(row.raw, &b)
                PostgresCopyText.tab(&b)
                PostgresCopyText.integer(Int64(row.seq), &b)
                PostgresCopyText.end(&b)
            }
        }
        let back = try session.query(
            PostgresQuery(unsafeSQL: "SELECT n, t, maybe, flag, raw, seq FROM \(table) ORDER BY seq"), doing: "reading"
        ).map { try $0.decode((Int64, String, String?, Bool, ByteBuffer, Int).self) }
        #expect(back.count == rows.count)
        for (row, got) in zip(rows, back) {
            #expect(got.0 == row.n && got.1 == row.t && got.2 == row.maybe && got.3 == row.flag, "row \(row.seq)")
            #expect(Array(got.4.readableBytesView) == row.raw, "row \(row.seq)'s bytes")
        }
    }

    @Test("a line the server refuses fails the copy with the server's reason, and nothing of it lands")
    func aRefusedCopyLandsNothing() throws {
        let location = try PostgresTestServer.freshLocation()
        defer { PostgresTestServer.drop(location) }
        let session = try PostgresSession(location)
        let table = "\(location.schema).refused"
        try session.query("CREATE SCHEMA IF NOT EXISTS \(unescaped: location.schema)", doing: "making the schema")
        try session.query(PostgresQuery(unsafeSQL: "CREATE TABLE \(table) (n bigint)"), doing: "making the table")
        #expect {
            try session.transaction(doing: "copying") { t in
                try t.copy(into: table, columns: ["n"], rows: ["1", "2", "three"]) { row, b in
                    b.writeString(row)
                    PostgresCopyText.end(&b)
                }
            }
        } throws: { error in
            "\(error)".contains("22P02") && "\(error)".contains("copying")
        }
        let count = try session.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table)"), doing: "counting")
        #expect(try count.first?.decode(Int64.self) == 0)
        // The session serves on.
        #expect(try session.query("SELECT 1", doing: "asking").first?.decode(Int.self) == 1)
    }
}
