import Foundation
import KithCore
import KithLog
import Testing

@testable import KithIngest

/// Hostile and broken input: each case lands or is quarantined by the rule the README's
/// "Hostile input" table documents, the good lines around it still land, and nothing crashes.
@Suite("Hostile and broken input")
struct NastyInputTests {
    static func line(
        _ id: String, occurredAt: String = "2026-03-01T10:00:00+08:00",
        identifiers: String = #"{"phone":"13800138001"}"#,
        type: String = "behaviour", name: String = "page_view", properties: String? = nil
    ) -> String {
        var s =
            #"{"event_id":"\#(id)","source":"app","type":"\#(type)","name":"\#(name)","occurred_at":"\#(occurredAt)","identifiers":\#(identifiers)"#
        if let properties { s += #","properties":\#(properties)"# }
        return s + "}"
    }

    /// (line, expected: nil = lands, else the quarantine kind).
    static var cases: [(label: String, bytes: [UInt8], expected: QuarantineReason.Kind?)] {
        let order = #"{"order_id":"o","currency":"CNY","amount":AMOUNT}"#
        return [
            (
                "deeply nested",
                Array(
                    line(
                        "deep",
                        properties: #"{"a":"# + String(repeating: "[", count: 5_000)
                            + String(repeating: "]", count: 5_000) + "}"
                    ).utf8), .malformedJSON
            ),
            (
                "nested within the limit",
                Array(
                    line(
                        "deep-ok",
                        properties: #"{"a":"# + String(repeating: "[", count: 30) + String(repeating: "]", count: 30)
                            + "}"
                    ).utf8), nil
            ),
            (
                "invalid UTF-8",
                Array(line("utf8").utf8).replacing(Array("page_view".utf8), with: [0x70, 0xFF, 0xFE, 0x76]),
                .badEncoding
            ),
            (
                "raw NUL byte", Array(line("nul").utf8).replacing(Array("page_view".utf8), with: [0x70, 0x00, 0x76]),
                .malformedJSON
            ),
            ("escaped NUL in a name", Array(line("nul-esc", name: #"page\u0000view"#).utf8), .schemaViolation),
            ("BOM on a later line", [0xEF, 0xBB, 0xBF] + Array(line("bom").utf8), .malformedJSON),
            ("unpaired surrogate", Array(line("surrogate", name: #"\ud800"#).utf8), .malformedJSON),
            (
                "duplicate key",
                Array(
                    #"{"event_id":"dup","event_id":"dup2","source":"app","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:00:00+08:00","identifiers":{"phone":"13800138001"}}"#
                        .utf8), .schemaViolation
            ),
            (
                "amount 1e400",
                Array(
                    line(
                        "big", type: "transaction", name: "order_completed",
                        properties: order.replacingOccurrences(of: "AMOUNT", with: "1e400")
                    ).utf8), .badAmount
            ),
            (
                "amount -0",
                Array(
                    line(
                        "minus-zero", type: "transaction", name: "order_completed",
                        properties: order.replacingOccurrences(of: "AMOUNT", with: "-0")
                    ).utf8), nil
            ),
            ("year 0", Array(line("y0", occurredAt: "0000-01-01T00:00:00Z").utf8), nil),
            ("year 9999", Array(line("y9999", occurredAt: "9999-12-31T23:59:59Z").utf8), nil),
            ("year 10000", Array(line("y10000", occurredAt: "10000-01-01T00:00:00Z").utf8), .badTimestamp),
            (
                "10,000 identifiers",
                Array(
                    line(
                        "many",
                        identifiers: #"{"device_id":["# + (0..<10_000).map { "\"d\($0)\"" }.joined(separator: ",")
                            + "]}"
                    ).utf8), .schemaViolation
            ),
            (
                "64 identifiers",
                Array(
                    line(
                        "sixty-four",
                        identifiers: #"{"device_id":["# + (0..<64).map { "\"d\($0)\"" }.joined(separator: ",") + "]}"
                    ).utf8), nil
            ),
            (
                "Cyrillic confusable in an email",
                Array(line("confusable", identifiers: #"{"email":"pаypal@example.com"}"#).utf8), nil
            ),
            // Lines up to 16 MiB land (longer ones: line_too_long, see IngestorTests).
            (
                "10 MB line",
                Array(line("huge", properties: #"{"blob":""# + String(repeating: "x", count: 10 << 20) + #""}"#).utf8),
                nil
            ),
        ]
    }

    @Test("Every nasty line lands or is quarantined by its documented rule; the good lines between them all land")
    func nastyLines() async throws {
        let scratch = Scratch()
        var bytes: [UInt8] = []
        var expectedLanded: [String] = []
        var expectedQuarantine: [Int: QuarantineReason.Kind] = [:]
        var lineNumber = 0
        for (i, c) in Self.cases.enumerated() {
            let good = Self.line("good-\(i)")
            bytes += Array(good.utf8) + [0x0A]
            lineNumber += 1
            expectedLanded.append("good-\(i)")
            bytes += c.bytes + [0x0A]
            lineNumber += 1
            if let kind = c.expected { expectedQuarantine[lineNumber] = kind } else { expectedLanded.append(c.label) }
        }
        let path = scratch.path + "/nasty.ndjson"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)), "cannot write \(path)")
        let options = Ingestor.Options()
        let summary = try await ingest([path], into: scratch.data, options: options)
        #expect(summary.files[0].error == nil)
        #expect(summary.accepted == expectedLanded.count)

        let records = try QuarantineStore(directory: scratch.data.quarantine).records()
        let found = Dictionary(uniqueKeysWithValues: records.map { ($0.line, $0.kind) })
        for (n, kind) in expectedQuarantine.sorted(by: { $0.key < $1.key }) {
            let label = Self.cases[n / 2 - 1].label
            #expect(
                found[n] == kind,
                "line \(n) (\(label)): expected \(kind.rawValue), got \(found[n]?.rawValue ?? "landed")")
        }
        #expect(records.count == expectedQuarantine.count)
        for record in records {
            #expect(
                !record.reason.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(record.reason)"
            )
        }
        // The log holds exactly the good lines and the accepted nasties, in order, each canonical.
        let landed = try logLines(scratch.data)
        #expect(landed.count == expectedLanded.count)
        for line in landed {
            #expect(line.utf8.withContiguousStorageIfAvailable { CanonicalLine.key(of: $0) != nil } ?? false)
        }
        #expect(
            landed.contains { $0.contains(#""email":"pаypal@example.com""#) },
            "a confusable is its own value, never folded")
        #expect(!landed.contains { $0.contains(#""email":"paypal@example.com""#) })
        #expect(
            landed.contains {
                $0.contains(#""amount":"-0""#) || $0.contains(#""amount":-0"#) || $0.contains(#""amount":"0""#)
            })
    }

    @Test(
        "CSV cells with embedded newlines, quotes and commas land whole; an unclosed quote takes the rest of the file into one quarantined record"
    )
    func csvQuotes() async throws {
        let scratch = Scratch()
        let csv = scratch.write(
            "pos.csv",
            """
            小票号,门店,交易类型,交易时间,会员卡号,手机号,顾客姓名,实付金额
            R1,SH01,销售,2026/03/01 10:15,M-1,13800138000,"李
            伟",10.00
            R2,SH01,销售,2026/03/01 10:16,M-2,13800138001,"王, ""小"" 明","1,000.00"
            R3,SH01,销售,2026/03/01 10:17,M-3,13800138002,"未闭合,12.00
            R4,SH01,销售,2026/03/01 10:18,M-4,13800138003,赵,13.00

            """)
        let mapping = repositoryRoot + "/schemas/examples/pos.mapping.yaml"
        let summary = try await ingest([csv], into: scratch.data, options: Ingestor.Options(mappingPath: mapping))
        let lines = try logLines(scratch.data)
        #expect(lines.contains { $0.contains(#""name":"李\n伟""#) })
        #expect(lines.contains { $0.contains(#""name":"王, \"小\" 明""#) && $0.contains(#""amount":"1000.00""#) })
        // An unclosed quote swallows the rest of the file into one record, which is quarantined:
        // R1 and R2 land, and nothing is half-read.
        #expect(summary.accepted == 2)
        #expect(summary.quarantined == 1)
        #expect(!lines.contains { $0.contains("M-3") || $0.contains("M-4") })
        #expect(lines.count == summary.accepted)
        #expect(summary.accepted >= 2)
    }
}
