/// Parses one canonical NDJSON event line, validates it against the contract, and appends its
/// canonical form (identifiers normalised, white space dropped) to an output buffer.
///
/// This is the ingest hot path: it works on bytes and allocates only for identifier values.
/// For example:
/// ```swift
/// var out: [UInt8] = []
/// let result = parser.parse(lineBytes, appendingTo: &out)  // .success(ParsedLine) or .failure(reason)
/// ```
public struct EventLineParser: Sendable {
    /// Fills in `source` for lines without one; lines with another source are rejected.
    public var defaultSource: String?
    /// Identifier kinds declared by the rules file, on top of the contract's well-known kinds,
    /// with how their values are normalised.
    public var declaredKinds: [String: IdentifierNormalizer.Method]

    /// For re-reading the log: its lines passed ingest under the rules of their day, so any
    /// well-formed kind is accepted (normalised as text unless declared).
    public var acceptsUndeclaredKinds = false

    /// The sources a line may name (a write key's); nil allows any. A line of another source is
    /// rejected, and so never lands under a source its writer was not given.
    public var allowedSources: Set<String>?

    public init(defaultSource: String? = nil, declaredKinds: [String: IdentifierNormalizer.Method] = [:]) {
        self.defaultSource = defaultSource
        self.declaredKinds = declaredKinds
    }

    public struct ParsedLine: Sendable {
        public var key: EventKey
        public var type: EventType
        /// Identifier values dropped as implausible while the event itself landed.
        public var rejectedIdentifiers: [QuarantineReason]
    }

    static let allowedFields = "event_id, source, type, name, occurred_at, identifiers, traits, properties"

    public func parse(_ line: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8])
        -> Result<ParsedLine, QuarantineReason>
    {
        var scratch = Scratch()
        return parse(line, appendingTo: &out, scratch: &scratch)
    }

    /// Buffers reused from line to line, so a steady stream of lines allocates nothing for
    /// its identifiers. One per parsing task.
    public struct Scratch: Sendable {
        var identifiers: [(kind: IdentifierKind, value: JSONScanner.StringToken)] = []
        var values: [UInt8] = []
        var entries: [(kind: IdentifierKind, range: Range<Int>)] = []
        var decoded: [UInt8] = []

        public init() {}

        /// The normalised identifiers of the line parsed last (valid after a success).
        public var normalizedIdentifiers: [Identifier] {
            entries.map { Identifier($0.kind, String(decoding: values[$0.range], as: UTF8.self)) }
        }

        mutating func reset() {
            identifiers.removeAll(keepingCapacity: true)
            values.removeAll(keepingCapacity: true)
            entries.removeAll(keepingCapacity: true)
        }

        /// Normalises one identifier value into `values` and records it in `entries`, or says
        /// why it was refused.
        mutating func appendNormalized(
            _ kind: IdentifierKind, _ token: JSONScanner.StringToken, in s: JSONScanner,
            declaredKinds: [String: IdentifierNormalizer.Method]
        ) -> QuarantineReason? {
            let start = values.count
            let problem: QuarantineReason?
            if token.hasEscapes {
                decoded.removeAll(keepingCapacity: true)
                s.decode(token, into: &decoded)
                problem = decoded.withUnsafeBufferPointer {
                    IdentifierNormalizer.normalize(
                        kind, bytes: $0, appendingTo: &values, method: declaredKinds[kind.rawValue])
                }
            } else {
                problem = IdentifierNormalizer.normalize(
                    kind, bytes: UnsafeBufferPointer(rebasing: s.bytes[token.range]), appendingTo: &values,
                    method: declaredKinds[kind.rawValue])
            }
            if problem == nil { entries.append((kind, start..<values.count)) }
            return problem
        }

        /// Puts the entries in canonical order: by kind, then by value's bytes.
        mutating func sortEntries() {
            guard entries.count > 1 else { return }
            let values = values
            entries.sort { a, b in
                if a.kind != b.kind { return a.kind.rawValue < b.kind.rawValue }
                return values[a.range].lexicographicallyPrecedes(values[b.range])
            }
        }
    }

    public func parse(_ line: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8], scratch: inout Scratch)
        -> Result<ParsedLine, QuarantineReason>
    {
        scratch.reset()
        var fields = LineFields()
        var scanner = JSONScanner(line)
        do {
            try fields.scan(&scanner, parser: self, scratch: &scratch)
        } catch {
            let kind: QuarantineReason.Kind = error.isEncoding ? .badEncoding : .malformedJSON
            return .failure(QuarantineReason(kind, field: nil, "not valid JSON: \(error.message)"))
        }
        if let problem = fields.firstProblem { return .failure(problem) }
        return fields.validateAndWrite(scanner, parser: self, scratch: &scratch, to: &out)
    }
}

/// What one pass over a line found, before the contract's rules are applied.
struct LineFields {
    var eventID: JSONScanner.StringToken?
    var source: JSONScanner.StringToken?
    var type: JSONScanner.StringToken?
    var name: JSONScanner.StringToken?
    var occurredAt: JSONScanner.StringToken?
    var sawIdentifiers = false
    var traits: Range<Int>?
    var properties: Range<Int>?
    var seen: UInt16 = 0
    /// The first contract violation; the scan goes on so syntax errors win.
    var firstProblem: QuarantineReason?

    mutating func problem(_ reason: QuarantineReason) {
        if firstProblem == nil { firstProblem = reason }
    }

    mutating func scan(_ s: inout JSONScanner, parser: EventLineParser, scratch: inout EventLineParser.Scratch)
        throws(JSONScanner.SyntaxError)
    {
        s.skipWhitespace()
        if s.bytes.count >= 3 + s.index, s.bytes[s.index] == 0xEF, s.bytes[s.index + 1] == 0xBB,
            s.bytes[s.index + 2] == 0xBF
        {
            throw JSONScanner.SyntaxError(offset: s.index, message: "the line starts with a byte order mark (BOM)")
        }
        guard s.peek == UInt8(ascii: "{") else { throw s.error("expected '{' to open the event object") }
        s.index += 1
        s.skipWhitespace()
        if s.peek == UInt8(ascii: "}") {
            s.index += 1
        } else {
            while true {
                s.skipWhitespace()
                let key = try s.scanString()
                try s.expect(UInt8(ascii: ":"), "':'")
                s.skipWhitespace()
                try member(key, &s, parser: parser, scratch: &scratch)
                s.skipWhitespace()
                if s.peek == UInt8(ascii: ",") {
                    s.index += 1
                    continue
                }
                try s.expect(UInt8(ascii: "}"), "',' or '}'")
                break
            }
        }
        s.skipWhitespace()
        guard s.atEnd else { throw s.error("expected the end of the line after the event object") }
    }

    private mutating func member(
        _ key: JSONScanner.StringToken, _ s: inout JSONScanner, parser: EventLineParser,
        scratch: inout EventLineParser.Scratch
    ) throws(JSONScanner.SyntaxError) {
        let bit: UInt16
        let fieldName: String
        switch key.range.count {
        case 4 where s.token(key, equals: "type"): bit = 1 << 2; fieldName = "type"
        case 4 where s.token(key, equals: "name"): bit = 1 << 3; fieldName = "name"
        case 6 where s.token(key, equals: "source"): bit = 1 << 1; fieldName = "source"
        case 6 where s.token(key, equals: "traits"): bit = 1 << 6; fieldName = "traits"
        case 8 where s.token(key, equals: "event_id"): bit = 1 << 0; fieldName = "event_id"
        case 10 where s.token(key, equals: "properties"): bit = 1 << 7; fieldName = "properties"
        case 11 where s.token(key, equals: "occurred_at"): bit = 1 << 4; fieldName = "occurred_at"
        case 11 where s.token(key, equals: "identifiers"): bit = 1 << 5; fieldName = "identifiers"
        default:
            let name = s.string(key)
            problem(
                QuarantineReason(
                    .schemaViolation, field: name,
                    "unknown field '\(name.prefix(64))' (the contract allows \(EventLineParser.allowedFields))"))
            _ = try s.skipValue()
            return
        }
        if seen & bit != 0 {
            problem(QuarantineReason(.schemaViolation, field: fieldName, "field '\(fieldName)' appears twice"))
        }
        seen |= bit
        switch bit {
        case 1 << 5:
            try scanIdentifiers(&s, parser: parser, scratch: &scratch)
        case 1 << 6, 1 << 7:
            let isObject = s.peek == UInt8(ascii: "{")
            let isNull = s.peek == UInt8(ascii: "n")
            let range = try s.skipValue()
            if isObject {
                if bit == 1 << 6 { traits = range } else { properties = range }
            } else if !isNull {
                problem(QuarantineReason(.schemaViolation, field: fieldName, "\(fieldName) must be a JSON object"))
            }
        default:
            guard s.peek == UInt8(ascii: "\"") else {
                _ = try s.skipValue()
                problem(QuarantineReason(.schemaViolation, field: fieldName, "\(fieldName) must be a string"))
                return
            }
            let token = try s.scanString()
            switch bit {
            case 1 << 0: eventID = token
            case 1 << 1: source = token
            case 1 << 2: type = token
            case 1 << 3: name = token
            default: occurredAt = token
            }
        }
    }

    private mutating func scanIdentifiers(
        _ s: inout JSONScanner, parser: EventLineParser, scratch: inout EventLineParser.Scratch
    ) throws(JSONScanner.SyntaxError) {
        sawIdentifiers = true
        guard s.peek == UInt8(ascii: "{") else {
            _ = try s.skipValue()
            problem(
                QuarantineReason(
                    .schemaViolation, field: "identifiers", "identifiers must be an object of kind → value"))
            return
        }
        s.index += 1
        s.skipWhitespace()
        if s.peek == UInt8(ascii: "}") {
            s.index += 1
            return
        }
        while true {
            s.skipWhitespace()
            let kindToken = try s.scanString()
            try s.expect(UInt8(ascii: ":"), "':'")
            s.skipWhitespace()
            let identifierKind =
                IdentifierKind(token: kindToken, in: s, declared: parser.declaredKinds)
                ?? (parser.acceptsUndeclaredKinds ? IdentifierKind(rawValue: s.string(kindToken)) : nil)
            if identifierKind == nil {
                let kind = s.string(kindToken)
                problem(
                    QuarantineReason(
                        .schemaViolation, field: "identifiers.\(kind.prefix(64))",
                        "identifier kind '\(kind.prefix(64))' is not known (well-known kinds: "
                            + IdentifierKind.wellKnown.map(\.rawValue).joined(separator: ", ")
                            + "; declare others in the rules file)"))
            }
            let kind = identifierKind ?? IdentifierKind(rawValue: "")
            switch s.peek {
            case UInt8(ascii: "\""):
                let value = try s.scanString()
                if value.range.count > 0 { scratch.identifiers.append((kind, value)) }
            case UInt8(ascii: "["):
                s.index += 1
                s.skipWhitespace()
                if s.peek == UInt8(ascii: "]") {
                    s.index += 1
                } else {
                    while true {
                        s.skipWhitespace()
                        if s.peek == UInt8(ascii: "\"") {
                            let value = try s.scanString()
                            if value.range.count > 0 { scratch.identifiers.append((kind, value)) }
                        } else {
                            _ = try s.skipValue()
                            wrongIdentifierShape(kind)
                        }
                        s.skipWhitespace()
                        if s.peek == UInt8(ascii: ",") {
                            s.index += 1
                            continue
                        }
                        try s.expect(UInt8(ascii: "]"), "',' or ']'")
                        break
                    }
                }
            case UInt8(ascii: "n"):
                _ = try s.skipValue()  // null: the channel had no value
            default:
                _ = try s.skipValue()
                wrongIdentifierShape(kind)
            }
            s.skipWhitespace()
            if s.peek == UInt8(ascii: ",") {
                s.index += 1
                continue
            }
            try s.expect(UInt8(ascii: "}"), "',' or '}'")
            return
        }
    }

    private mutating func wrongIdentifierShape(_ kind: IdentifierKind) {
        problem(
            QuarantineReason(
                .schemaViolation, field: "identifiers.\(kind.rawValue.prefix(64))",
                "identifier \(kind.rawValue.prefix(64)) must be a string or an array of strings"))
    }
}
