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

    /// Reads a canonical line (as the log stores it) in one pass, normalising its identifiers
    /// under the rules in force (a replay may declare kinds the ingest did not know). Nil if
    /// the line is not canonical or no identifier survives normalisation.
    ///
    /// Lines in the log passed the contract's checks at ingest, so they are not validated or
    /// rewritten again here: this is the projection's hot path. The full parser is its oracle
    /// in the tests.
    public static func decode(
        _ line: UnsafeBufferPointer<UInt8>, position: UInt64, scratch: inout EventLineParser.Scratch,
        declaredKinds: [String: IdentifierNormalizer.Method] = [:]
    ) -> ProjectedEvent? {
        let s = JSONScanner(line)
        guard let fields = fields(of: line, position: position),
            normalizeIdentifiers(fields.identifiers, in: s, scratch: &scratch, declaredKinds: declaredKinds)
        else { return nil }
        var event = fields.event
        event.identifiers = scratch.normalizedIdentifiers
        return event
    }

    /// Everything `decode` reads but the identifiers, and where their object is in the line;
    /// nil if the line is not canonical or has no time or no identifiers object.
    package static func fields(of line: UnsafeBufferPointer<UInt8>, position: UInt64) -> (
        event: ProjectedEvent, identifiers: Range<Int>
    )? {
        let s = JSONScanner(line)
        guard let head = CanonicalLine.header(of: line), let type = EventType(token: head.type, in: s) else {
            return nil
        }
        var event = ProjectedEvent(
            position: position, eventID: s.string(head.eventID), source: s.string(head.source), type: type,
            name: "", occurredAt: Timestamp(epochSeconds: 0), identifiers: [], traits: [], amount: nil, score: nil)
        var occurredAt: Timestamp?
        var identifiers: Range<Int>?
        var currency = "CNY"
        var amountText: String?
        PropertyRules.forEachMember(0..<line.count, in: s) { key, value in
            switch key.range.count {
            case 4 where s.token(key, equals: "name"):
                event.name = stringValue(value, in: s)
            case 11 where s.token(key, equals: "occurred_at"):
                guard value.count >= 2 else { return }
                let text = UnsafeBufferPointer(rebasing: line[(value.lowerBound + 1)..<(value.upperBound - 1)])
                if case .success(let t) = Timestamp.parse(bytes: text) { occurredAt = t }
            case 11 where s.token(key, equals: "identifiers"):
                identifiers = value
            case 6 where s.token(key, equals: "traits"):
                PropertyRules.forEachMember(value, in: s) { k, v in
                    event.traits.append((s.string(k), stringValue(v, in: s)))
                }
            case 10 where s.token(key, equals: "properties"):
                PropertyRules.forEachMember(value, in: s) { k, v in
                    if s.token(k, equals: "amount") {
                        amountText = stringValue(v, in: s)
                    } else if s.token(k, equals: "currency") {
                        currency = stringValue(v, in: s)
                    } else if s.token(k, equals: "score") {
                        event.score = Int(stringValue(v, in: s))
                    }
                }
            default:
                break
            }
        }
        guard let occurredAt, let identifiers else { return nil }
        event.occurredAt = occurredAt
        event.amount = amountText.flatMap { try? Money.parse($0, currency: currency).get() }
        return (event, identifiers)
    }

    /// Normalises the values of a canonical `identifiers` object (kind → value or array of
    /// values) into the scratch, in canonical order; false if none survives.
    private static func normalizeIdentifiers(
        _ range: Range<Int>, in s: JSONScanner, scratch: inout EventLineParser.Scratch,
        declaredKinds: [String: IdentifierNormalizer.Method]
    ) -> Bool {
        scratch.reset()
        var kind = IdentifierKind.phone
        let whole = forEachIdentifierToken(
            in: range, of: s,
            kind: {
                kind =
                    IdentifierKind(token: $0, in: s, declared: declaredKinds) ?? IdentifierKind(rawValue: s.string($0))
            },
            value: { _ = scratch.appendNormalized(kind, $0, in: s, declaredKinds: declaredKinds) })
        guard whole else { return false }
        scratch.sortEntries()
        return !scratch.entries.isEmpty
    }

    /// Walks a canonical `identifiers` object (kind → value or array of values): `kind` gets
    /// each kind's token, then `value` each of its non-empty values' tokens. False if the object
    /// is malformed (what `decode` then reads as no event at all).
    package static func forEachIdentifierToken(
        in range: Range<Int>, of s: JSONScanner, kind: (JSONScanner.StringToken) -> Void,
        value: (JSONScanner.StringToken) -> Void
    ) -> Bool {
        var m = JSONScanner(s.bytes, at: range.lowerBound + 1)
        func next(_ m: inout JSONScanner) throws(JSONScanner.SyntaxError) {
            let token = try m.scanString()
            if token.range.count > 0 { value(token) }
        }
        do {
            m.skipWhitespace()
            while m.peek == UInt8(ascii: "\"") {
                kind(try m.scanString())
                m.skipWhitespace()
                try m.expect(UInt8(ascii: ":"), "':'")
                m.skipWhitespace()
                switch m.peek {
                case UInt8(ascii: "\""):
                    try next(&m)
                case UInt8(ascii: "["):
                    m.index += 1
                    m.skipWhitespace()
                    while m.peek == UInt8(ascii: "\"") {
                        try next(&m)
                        m.skipWhitespace()
                        if m.peek == UInt8(ascii: ",") { m.index += 1 }
                        m.skipWhitespace()
                    }
                    try m.expect(UInt8(ascii: "]"), "']'")
                default:
                    _ = try m.skipValue()
                }
                m.skipWhitespace()
                if m.peek == UInt8(ascii: ",") { m.index += 1 }
                m.skipWhitespace()
            }
        } catch {
            return false
        }
        return true
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
