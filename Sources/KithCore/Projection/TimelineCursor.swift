/// Where a page of a profile's timeline ended: the last entry's time and log position (the
/// timeline's sort key, newest first). The CLI shows it as `OCCURRED_AT@POSITION`; the API
/// hands it out opaque (`encoded`).
public struct TimelineCursor: Equatable, Sendable {
    /// RFC 3339, as the timeline entry carries it.
    public var occurredAt: String
    public var position: UInt64

    public init(occurredAt: String, position: UInt64) {
        self.occurredAt = occurredAt
        self.position = position
    }

    /// `OCCURRED_AT@POSITION`; nil unless the time is RFC 3339 and the position a whole number.
    public init?(text: String) {
        guard let at = text.lastIndex(of: "@"), let position = UInt64(text[text.index(after: at)...]),
            case .success = Timestamp.parse(String(text[..<at]))
        else { return nil }
        self.init(occurredAt: String(text[..<at]), position: position)
    }

    public var text: String { "\(occurredAt)@\(position)" }

    /// The cursor as the API hands it out: unpadded base64url of `text`.
    public init?(encoded: String) {
        guard let text = RequestDecoding.cursorText(encoded) else { return nil }
        self.init(text: text)
    }

    public var encoded: String { RequestDecoding.cursor(encoding: text) }
}
