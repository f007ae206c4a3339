import Foundation
import Testing

@testable import KithCore

/// Parses a line with the hot-path parser; returns the canonical text or the reason.
func parseLine(_ line: String, parser: EventLineParser = EventLineParser()) -> Result<String, QuarantineReason> {
    var out: [UInt8] = []
    var bytes = Array(line.utf8)
    return bytes.withUnsafeMutableBufferPointer { b in
        parser.parse(UnsafeBufferPointer(b), appendingTo: &out).map { _ in String(decoding: out, as: UTF8.self) }
    }
}

@Suite("Event line parser")
struct EventLineParserTests {
    static let example =
        #"{"event_id":"000123","source":"pos","type":"transaction","name":"order_completed","occurred_at":"2026-03-01T10:15:00+08:00","identifiers":{"phone":"138 0013 8000","member_id":"M-88812"},"traits":{"name":"李伟","city":"上海"},"properties":{"order_id":"SH01-77812","amount":"158.00","currency":"CNY","store_id":"SH01"}}"#

    @Test("The contract's example lands in canonical form with normalised identifiers")
    func contractExample() throws {
        let canonical = try parseLine(Self.example).get()
        #expect(
            canonical
                == #"{"event_id":"000123","source":"pos","type":"transaction","name":"order_completed","occurred_at":"2026-03-01T10:15:00+08:00","identifiers":{"member_id":"M-88812","phone":"+8613800138000"},"traits":{"name":"李伟","city":"上海"},"properties":{"order_id":"SH01-77812","amount":"158.00","currency":"CNY","store_id":"SH01"}}"#
        )
        // Canonical form is a fixed point.
        #expect(try parseLine(canonical).get() == canonical)
    }

    @Test("White space, escapes and field order do not change the canonical form or the key")
    func canonicalIsStable() throws {
        let messy =
            #"  { "source" : "pos", "event_id":"\u0030\u0030\u0030123", "type":"transaction","name":"order_completed","occurred_at":"2026-03-01T02:15:00Z","identifiers":{"phone":["+86 138-0013-8000","13800138000"],"member_id":"M-88812"},"traits":{ "name" : "李伟", "city":"上海" },"properties":{"order_id":"SH01-77812","amount":"158.00","currency":"CNY","store_id":"SH01"} } "#
        let a = try parseLine(messy).get()
        #expect(a.contains(#""event_id":"000123""#))
        #expect(a.contains(#""identifiers":{"member_id":"M-88812","phone":"+8613800138000"}"#))
        #expect(a.contains(#""traits":{"name":"李伟","city":"上海"}"#))
        var key1: EventKey?
        var key2: EventKey?
        var out: [UInt8] = []
        var m = Array(messy.utf8)
        var e = Array(Self.example.utf8)
        m.withUnsafeMutableBufferPointer {
            key1 = try? EventLineParser().parse(UnsafeBufferPointer($0), appendingTo: &out).get().key
        }
        e.withUnsafeMutableBufferPointer {
            key2 = try? EventLineParser().parse(UnsafeBufferPointer($0), appendingTo: &out).get().key
        }
        #expect(key1 != nil && key1 == key2)
    }

    @Test(
        "Each kind of broken line gets its reason kind and field",
        arguments: [
            (#"{"event_id":"1","source":"pos""#, QuarantineReason.Kind.malformedJSON, nil),
            (
                #"{"event_id":"1","source":"pos","type":"transaction","name":"x","occurred_at":"2026-13-01T10:15:00+08:00","identifiers":{"member_id":"m"}}"#,
                .badTimestamp, "occurred_at"
            ),
            (
                #"{"event_id":"1","source":"pos","type":"purchase","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"}}"#,
                .unknownType, "type"
            ),
            (
                #"{"event_id":"1","source":"pos","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"phone":"12345"}}"#,
                .badIdentifier, "identifiers.phone"
            ),
            (
                #"{"event_id":"1","source":"pos","type":"transaction","name":"order_completed","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"},"properties":{"amount":"12.3.4"}}"#,
                .badAmount, "properties.amount"
            ),
            (
                #"{"event_id":"1","source":"pos","type":"transaction","name":"refund","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"}}"#,
                .badAmount, "properties.amount"
            ),
            (
                #"{"evnt_id":"1","source":"pos","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"}}"#,
                .schemaViolation, "evnt_id"
            ),
            (
                #"{"source":"pos","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"}}"#,
                .schemaViolation, "event_id"
            ),
            (
                #"{"event_id":"1","source":"POS","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"}}"#,
                .schemaViolation, "source"
            ),
            (
                #"{"event_id":"1","source":"pos","type":"behaviour","name":"PageView","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"}}"#,
                .schemaViolation, "name"
            ),
            (
                #"{"event_id":"1","source":"pos","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{}}"#,
                .schemaViolation, "identifiers"
            ),
            (
                #"{"event_id":"1","source":"pos","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"qq":"1"}}"#,
                .schemaViolation, "identifiers.qq"
            ),
            (
                #"{"event_id":"1","source":"pos","type":"feedback","name":"nps","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"},"properties":{"score":11}}"#,
                .schemaViolation, "properties.score"
            ),
            (
                #"{"event_id":"1","event_id":"2","source":"pos","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"}}"#,
                .schemaViolation, "event_id"
            ),
        ] as [(String, QuarantineReason.Kind, String?)])
    func reasons(line: String, kind: QuarantineReason.Kind, field: String?) {
        guard case .failure(let reason) = parseLine(line) else {
            Issue.record("expected rejection of \(line)")
            return
        }
        #expect(reason.kind == kind, "\(reason.message)")
        #expect(reason.field == field, "\(reason.message)")
    }

    @Test("Invalid UTF-8 inside a string is bad_encoding")
    func invalidUTF8() {
        var bytes = Array(#"{"event_id":"ab"#.utf8)
        bytes.append(0xC3)
        bytes.append(contentsOf: Array(#"","source":"pos"}"#.utf8))
        var out: [UInt8] = []
        let result = bytes.withUnsafeBufferPointer { EventLineParser().parse($0, appendingTo: &out) }
        guard case .failure(let reason) = result else {
            Issue.record("expected rejection")
            return
        }
        #expect(reason.kind == .badEncoding)
        #expect(out.isEmpty)
    }

    @Test("An implausible identifier is dropped and reported while the event lands on the others")
    func partialIdentifiers() throws {
        let line =
            #"{"event_id":"1","source":"app","type":"behaviour","name":"app_open","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"phone":"1380013","device_id":"d1"}}"#
        var out: [UInt8] = []
        var bytes = Array(line.utf8)
        let parsed = try bytes.withUnsafeMutableBufferPointer {
            try EventLineParser().parse(UnsafeBufferPointer($0), appendingTo: &out).get()
        }
        #expect(parsed.rejectedIdentifiers.map(\.field) == ["identifiers.phone"])
        #expect(String(decoding: out, as: UTF8.self).contains(#""identifiers":{"device_id":"d1"}"#))
    }

    @Test("--source fills in a missing source and rejects a different one")
    func defaultSource() {
        let parser = EventLineParser(defaultSource: "pos")
        let line =
            #"{"event_id":"1","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"}}"#
        #expect((try? parseLine(line, parser: parser).get())?.contains(#""source":"pos""#) == true)
        let other = line.replacingOccurrences(of: #"{"event_id":"1","#, with: #"{"event_id":"1","source":"app","#)
        #expect(throws: QuarantineReason.self) { try parseLine(other, parser: parser).get() }
    }

    @Test(
        "An empty traits or properties object is left out whatever white space it holds, so canonical form is a fixed point",
        arguments: ["{}", "{ }", "{\t\r\n }", "null"])
    func emptyObjectsAreLeftOut(empty: String) throws {
        let line =
            #"{"event_id":"1","source":"app","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"},"traits":\#(empty),"properties":\#(empty)}"#
        let canonical = try parseLine(line).get()
        #expect(!canonical.contains("traits") && !canonical.contains("properties"))
        #expect(try parseLine(canonical).get() == canonical)
    }

    @Test("Unknown keys inside traits and properties are kept as they are")
    func unknownInnerKeysKept() throws {
        let line =
            #"{"event_id":"1","source":"app","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"member_id":"m"},"traits":{"vip_level":3,"tags":["a",{"b":null}]},"properties":{"anything":{"nested":[1.5e3,true]}}}"#
        let canonical = try parseLine(line).get()
        #expect(canonical.contains(#""traits":{"vip_level":3,"tags":["a",{"b":null}]}"#))
        #expect(canonical.contains(#""properties":{"anything":{"nested":[1.5e3,true]}}"#))
    }

    @Test("The key of a canonical line can be read back without a full parse")
    func canonicalKey() throws {
        let canonical = Array(try parseLine(Self.example).get().utf8)
        var out: [UInt8] = []
        let parsedKey = try canonical.withUnsafeBufferPointer {
            try EventLineParser().parse($0, appendingTo: &out).get().key
        }
        #expect(canonical.withUnsafeBufferPointer { CanonicalLine.key(of: $0) } == parsedKey)
        #expect(parsedKey == EventKey(source: Array("pos".utf8), eventID: Array("000123".utf8)))
    }
}
