/// What projections read from a canonical log line: the envelope, identifiers, traits as text,
/// and the few properties the unified view aggregates (amount, currency, score).
public struct ProjectedEvent: Sendable, Equatable {
    public var position: UInt64
    public var eventID: String
    public var source: String
    public var type: EventType
    public var name: String
    public var occurredAt: Timestamp
    public var identifiers: [Identifier]
    /// Trait values as strings (non-string JSON values keep their JSON text).
    public var traits: [(key: String, value: String)]
    public var amount: Money?
    public var score: Int?

    public static func == (a: Self, b: Self) -> Bool {
        a.position == b.position && a.eventID == b.eventID && a.source == b.source && a.type == b.type
            && a.name == b.name && a.occurredAt == b.occurredAt && a.identifiers == b.identifiers
            && a.traits.elementsEqual(b.traits, by: { $0 == $1 }) && a.amount == b.amount && a.score == b.score
    }

    /// Reads a canonical line (as the log stores it). Nil if the line does not parse.
    public static func decode(
        _ line: UnsafeBufferPointer<UInt8>, position: UInt64, scratch: inout EventLineParser.Scratch,
        declaredKinds: [String: IdentifierNormalizer.Method] = [:]
    ) -> ProjectedEvent? {
        var sink: [UInt8] = []
        var parser = EventLineParser(declaredKinds: declaredKinds)
        parser.acceptsUndeclaredKinds = true
        guard case .success(let parsed) = parser.parse(line, appendingTo: &sink, scratch: &scratch) else {
            return nil
        }
        let s = JSONScanner(line)
        guard let head = CanonicalLine.header(of: line) else { return nil }
        var event = ProjectedEvent(
            position: position, eventID: s.string(head.eventID), source: s.string(head.source), type: parsed.type,
            name: "", occurredAt: Timestamp(epochSeconds: 0), identifiers: scratch.normalizedIdentifiers, traits: [],
            amount: nil, score: nil)
        var currency = "CNY"
        var amountText: [UInt8]?
        PropertyRules.forEachMember(0..<line.count, in: s) { key, value in
            if s.token(key, equals: "name") {
                event.name = stringValue(value, in: s)
            } else if s.token(key, equals: "occurred_at") {
                if case .success(let t) = Timestamp.parse(stringValue(value, in: s)) { event.occurredAt = t }
            } else if s.token(key, equals: "traits") {
                PropertyRules.forEachMember(value, in: s) { k, v in
                    event.traits.append((s.string(k), stringValue(v, in: s)))
                }
            } else if s.token(key, equals: "properties") {
                PropertyRules.forEachMember(value, in: s) { k, v in
                    if s.token(k, equals: "amount") {
                        amountText = Array(stringValue(v, in: s).utf8)
                    } else if s.token(k, equals: "currency") {
                        currency = stringValue(v, in: s)
                    } else if s.token(k, equals: "score") {
                        event.score = Int(stringValue(v, in: s))
                    }
                }
            }
        }
        if let amountText {
            event.amount = amountText.withUnsafeBufferPointer { try? Money.parse(bytes: $0, currency: currency).get() }
        }
        return event
    }

    /// A string's content, or any other value's JSON text.
    static func stringValue(_ range: Range<Int>, in s: JSONScanner) -> String {
        if s.bytes[range.lowerBound] == UInt8(ascii: "\"") {
            var c = JSONScanner(s.bytes, at: range.lowerBound)
            if let token = try? c.scanString() { return s.string(token) }
        }
        return String(decoding: UnsafeBufferPointer(rebasing: s.bytes[range]), as: UTF8.self)
    }
}
