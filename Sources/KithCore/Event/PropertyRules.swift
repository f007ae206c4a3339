/// The contract's rules for the properties of well-known events: amounts on orders and refunds,
/// a currency code, and score ranges on NPS and ratings.
enum PropertyRules {
    static func check(type: EventType, name: UnsafeBufferPointer<UInt8>, properties: Range<Int>?, in s: JSONScanner)
        -> QuarantineReason?
    {
        switch type {
        case .transaction:
            let needsAmount = name.elementsEqual("order_completed".utf8) || name.elementsEqual("refund".utf8)
            return checkTransaction(properties, in: s, needsAmount: needsAmount)
        case .feedback:
            if name.elementsEqual("nps".utf8) { return checkScore(properties, in: s, range: 0...10, required: true) }
            if name.elementsEqual("rating".utf8) { return checkScore(properties, in: s, range: 1...5, required: true) }
            if name.elementsEqual("review".utf8) { return checkScore(properties, in: s, range: 1...5, required: false) }
            return nil
        default:
            return nil
        }
    }

    /// Visits the top-level members of a validated object.
    static func forEachMember(
        _ range: Range<Int>, in s: JSONScanner, _ body: (JSONScanner.StringToken, Range<Int>) -> Void
    ) {
        var m = JSONScanner(s.bytes, at: range.lowerBound + 1)
        m.skipWhitespace()
        if m.peek == UInt8(ascii: "}") { return }
        while m.index < range.upperBound {
            m.skipWhitespace()
            guard let key = try? m.scanString() else { return }
            m.skipWhitespace()
            m.index += 1  // ':'
            m.skipWhitespace()
            guard let value = try? m.skipValue() else { return }
            body(key, value)
            m.skipWhitespace()
            if m.peek != UInt8(ascii: ",") { return }
            m.index += 1
        }
    }

    static func checkTransaction(_ properties: Range<Int>?, in s: JSONScanner, needsAmount: Bool) -> QuarantineReason? {
        var amount: Range<Int>?
        var currency = "CNY"
        var problem: QuarantineReason?
        if let properties {
            forEachMember(properties, in: s) { key, value in
                if s.token(key, equals: "amount") {
                    amount = value
                } else if s.token(key, equals: "currency") {
                    var c = JSONScanner(s.bytes, at: value.lowerBound)
                    if let token = try? c.scanString(), c.index == value.upperBound {
                        let text = s.string(token)
                        if text.utf8.count == 3, text.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) {
                            currency = text
                            return
                        }
                    }
                    problem = QuarantineReason(
                        .schemaViolation, field: "properties.currency",
                        "currency must be a three-letter ISO 4217 code such as CNY")
                }
            }
        }
        if let problem { return problem }
        guard let amount else {
            return needsAmount
                ? QuarantineReason(
                    .badAmount, field: "properties.amount", "properties.amount is required on orders and refunds")
                : nil
        }
        return withText(of: amount, in: s, field: "properties.amount", kind: .badAmount) { text in
            switch Money.parse(bytes: text, currency: currency) {
            case .success: return nil
            case .failure(let reason): return reason
            }
        }
    }

    static func checkScore(_ properties: Range<Int>?, in s: JSONScanner, range: ClosedRange<Int>, required: Bool)
        -> QuarantineReason?
    {
        var score: Range<Int>?
        if let properties {
            forEachMember(properties, in: s) { key, value in
                if s.token(key, equals: "score") { score = value }
            }
        }
        guard let score else {
            return required
                ? QuarantineReason(
                    .schemaViolation, field: "properties.score", "properties.score is required (\(range))")
                : nil
        }
        return withText(of: score, in: s, field: "properties.score", kind: .schemaViolation) { text in
            let digits = Array(text)
            guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                let v = Int(String(decoding: digits, as: UTF8.self)), range.contains(v)
            else {
                return QuarantineReason(
                    .schemaViolation, field: "properties.score",
                    "score '\(String(decoding: digits.prefix(20), as: UTF8.self))' must be a whole number in \(range.lowerBound)–\(range.upperBound)"
                )
            }
            return nil
        }
    }

    /// Calls `body` with the text of a number, or of a string's content; other types are rejected.
    static func withText(
        of value: Range<Int>, in s: JSONScanner, field: String, kind: QuarantineReason.Kind,
        _ body: (UnsafeBufferPointer<UInt8>) -> QuarantineReason?
    ) -> QuarantineReason? {
        let first = s.bytes[value.lowerBound]
        if first == UInt8(ascii: "\"") {
            var c = JSONScanner(s.bytes, at: value.lowerBound)
            guard let token = try? c.scanString() else { return nil }
            var decoded: [UInt8] = []
            s.decode(token, into: &decoded)
            return decoded.withUnsafeBufferPointer(body)
        }
        if first == UInt8(ascii: "-") || (first >= 0x30 && first <= 0x39) {
            return body(UnsafeBufferPointer(rebasing: s.bytes[value]))
        }
        return QuarantineReason(kind, field: field, "\(field) must be a number or a decimal string")
    }
}
