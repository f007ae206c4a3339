/// Why a line could not land, typed so quarantined lines can be listed, fixed and retried.
public struct QuarantineReason: Sendable, Hashable, Error, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, CaseIterable, Codable, Comparable {
        case malformedJSON = "malformed_json"
        case badEncoding = "bad_encoding"
        case schemaViolation = "schema_violation"
        case badIdentifier = "bad_identifier"
        case badTimestamp = "bad_timestamp"
        case badAmount = "bad_amount"
        case unknownType = "unknown_type"
        case lineTooLong = "line_too_long"

        public static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    public var kind: Kind
    /// The field at fault, as a dotted path (`properties.amount`), or nil for the whole line.
    public var field: String?
    /// A sentence a person can act on. Identifier values in it are masked.
    public var message: String

    public init(_ kind: Kind, field: String?, _ message: String) {
        self.kind = kind
        self.field = field
        self.message = QuarantineReason.printable(message)
    }

    /// The message with control characters (a NUL or an escape quoted from the input) written
    /// as `\u{…}`, so a reason cannot break the table or terminal it is shown in.
    static func printable(_ message: String) -> String {
        guard message.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            return message
        }
        var out = ""
        for u in message.unicodeScalars {
            if u.properties.generalCategory == .control {
                out += "\\u{" + String(u.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(u)
            }
        }
        return out
    }

    public var description: String { message }
}
