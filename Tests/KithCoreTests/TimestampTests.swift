import Foundation
import Testing

@testable import KithCore
import KithGenerator

@Suite("RFC 3339 timestamps")
struct TimestampTests {
    @Test("The offset is preserved and rendered back")
    func offsetPreserved() throws {
        let t = try Timestamp.parse("2026-03-01T10:15:00+08:00").get()
        #expect(t.offsetMinutes == 480)
        #expect(t.epochSeconds == 1_772_331_300)
        #expect(t.description == "2026-03-01T10:15:00+08:00")
        #expect(try Timestamp.parse("2026-03-01T02:15:00Z").get().epochSeconds == t.epochSeconds)
        #expect(
            try Timestamp.parse("2026-03-01T02:15:00.250-05:30").get().description == "2026-03-01T02:15:00.25-05:30")
    }

    @Test(
        "Impossible or incomplete timestamps are bad_timestamp",
        arguments: [
            "2026-13-01T10:15:00+08:00", "2026-02-29T00:00:00Z", "2026-03-01 10:15:00+08:00", "2026-03-01T10:15:00",
            "2026-03-01T24:00:00Z", "2026-03-01T10:15:00+0800", "2026/03/01T10:15:00Z", "2026-03-01T10:15:00.Z",
            "2026-04-31T00:00:00Z", "2026-03-01T10:15:60Z",
        ])
    func rejected(text: String) {
        guard case .failure(let reason) = Timestamp.parse(text) else {
            Issue.record("expected \(text) to be rejected")
            return
        }
        #expect(reason.kind == .badTimestamp)
        #expect(reason.message.contains(text))
    }

    @Test("Parsing agrees with Foundation's ISO 8601 parser on random instants (oracle)")
    func oracle() throws {
        let formatter = ISO8601DateFormatter()
        var rng = SplitMix64.forTest("TimestampTests.oracle")
        for _ in 0..<2_000 {
            let epoch = Int64.random(in: -2_000_000_000...4_000_000_000, using: &rng)
            let offset = Int16.random(in: -14...14, using: &rng) * 60
            let t = Timestamp(epochSeconds: epoch, offsetMinutes: offset)
            let text = t.description
            let parsed = try Timestamp.parse(text).get()
            #expect(parsed == t, "\(text)")
            #expect(formatter.date(from: text).map { Int64($0.timeIntervalSince1970) } == epoch, "\(text)")
        }
    }

    @Test("Leap years follow the Gregorian rules")
    func leapYears() {
        #expect(throws: Never.self) { try Timestamp.parse("2024-02-29T00:00:00Z").get() }
        #expect(throws: Never.self) { try Timestamp.parse("2000-02-29T00:00:00Z").get() }
        #expect(throws: QuarantineReason.self) { try Timestamp.parse("1900-02-29T00:00:00Z").get() }
    }
}
