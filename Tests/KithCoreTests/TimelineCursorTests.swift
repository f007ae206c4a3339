import Testing

@testable import KithCore

@Suite("Timeline cursors")
struct TimelineCursorTests {
    @Test("The CLI's OCCURRED_AT@POSITION and the API's opaque form carry the same cursor; malformed ones are refused")
    func forms() throws {
        let cursor = try #require(TimelineCursor(text: "2026-03-01T10:15:00+08:00@812"))
        #expect(cursor == TimelineCursor(occurredAt: "2026-03-01T10:15:00+08:00", position: 812))
        #expect(cursor.text == "2026-03-01T10:15:00+08:00@812")
        #expect(!cursor.encoded.contains("@") && !cursor.encoded.contains("="))
        #expect(TimelineCursor(encoded: cursor.encoded) == cursor)
        // The text form is not a valid opaque cursor, nor the other way round.
        #expect(TimelineCursor(encoded: cursor.text) == nil)
        #expect(TimelineCursor(text: cursor.encoded) == nil)
        for bad in [
            "", "@812", "2026-03-01T10:15:00+08:00", "2026-03-01T10:15:00+08:00@", "2026-03-01T10:15:00+08:00@-1",
            "2026-02-30T10:15:00Z@1", "yesterday@4", "2026-03-01T10:15:00Z@1@2",
        ] {
            #expect(TimelineCursor(text: bad) == nil, "\(bad)")
        }
    }
}
