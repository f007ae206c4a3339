@testable import KithCore

/// The projection's former decoder, kept as the oracle for `ProjectedEvent.decode`: it runs the
/// whole ingest parser (validation and canonical rewrite) and then reads the fields it needs.
enum ReferenceDecoder {
    static func decode(
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
                event.name = ProjectedEvent.stringValue(value, in: s)
            } else if s.token(key, equals: "occurred_at") {
                if case .success(let t) = Timestamp.parse(ProjectedEvent.stringValue(value, in: s)) { event.occurredAt = t }
            } else if s.token(key, equals: "traits") {
                PropertyRules.forEachMember(value, in: s) { k, v in
                    event.traits.append((s.string(k), ProjectedEvent.stringValue(v, in: s)))
                }
            } else if s.token(key, equals: "properties") {
                PropertyRules.forEachMember(value, in: s) { k, v in
                    if s.token(k, equals: "amount") {
                        amountText = Array(ProjectedEvent.stringValue(v, in: s).utf8)
                    } else if s.token(k, equals: "currency") {
                        currency = ProjectedEvent.stringValue(v, in: s)
                    } else if s.token(k, equals: "score") {
                        event.score = Int(ProjectedEvent.stringValue(v, in: s))
                    }
                }
            }
        }
        if let amountText {
            event.amount = amountText.withUnsafeBufferPointer { try? Money.parse(bytes: $0, currency: currency).get() }
        }
        return event
    }
}
