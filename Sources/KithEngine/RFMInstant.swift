import KithCore

/// The instant an RFM view measures recency to.
public enum RFMInstant: Sendable, Equatable {
    /// Now, unpinned: the next refresh moves it.
    case now
    /// A fixed instant (seconds since 1970), pinned: later refreshes keep it.
    case instant(Int64)
    /// Another store's instant, carried over with its pinned flag (a rebuild or a replay).
    case carried(Int64, pinned: Bool)

    /// `now`, or an instant in RFC 3339, or a date meaning its midnight UTC.
    public init?(text: String) {
        if text == "now" {
            self = .now
            return
        }
        let full = text.count == 10 ? text + "T00:00:00Z" : text
        guard case .success(let t) = Timestamp.parse(full) else { return nil }
        self = .instant(t.epochSeconds)
    }
}
