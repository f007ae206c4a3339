/// Fast reads of a canonical line as the log stores it (`{"event_id":…,"source":…,"type":…`).
public enum CanonicalLine {
    /// The idempotency key of a canonical line, without a full parse; nil if it is not canonical.
    public static func key(of line: UnsafeBufferPointer<UInt8>) -> EventKey? {
        guard let head = header(of: line) else { return nil }
        let s = JSONScanner(line)
        var id: [UInt8] = []
        s.decode(head.eventID, into: &id)
        return EventKey(source: UnsafeBufferPointer(rebasing: line[head.source.range]), eventID: id)
    }

    /// The byte ranges of event_id, source and type at the head of a canonical line.
    package static func header(of line: UnsafeBufferPointer<UInt8>)
        -> (eventID: JSONScanner.StringToken, source: JSONScanner.StringToken, type: JSONScanner.StringToken)?
    {
        var s = JSONScanner(line)
        guard expect(&s, #"{"event_id":"#), let id = try? s.scanString(),
            expect(&s, #","source":"#), let source = try? s.scanString(),
            expect(&s, #","type":"#), let type = try? s.scanString()
        else { return nil }
        return (id, source, type)
    }

    /// The `source` and `type` strings of a canonical line, for statistics.
    public static func sourceAndType(of line: UnsafeBufferPointer<UInt8>) -> (source: String, type: String)? {
        guard let head = header(of: line) else { return nil }
        let s = JSONScanner(line)
        return (s.string(head.source), s.string(head.type))
    }

    private static func expect(_ s: inout JSONScanner, _ text: StaticString) -> Bool {
        let n = text.utf8CodeUnitCount
        guard s.index + n <= s.bytes.count else { return false }
        let p = text.utf8Start
        for k in 0..<n where s.bytes[s.index + k] != p[k] { return false }
        s.index += n
        return true
    }
}
