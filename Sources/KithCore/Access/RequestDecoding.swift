/// What Kith itself reads out of an HTTP request once Hummingbird has parsed it: the API key
/// presented, page limits, cursors and `KIND:VALUE` references. Kept pure, without Foundation,
/// so the fuzzer in `tools/fuzz` can throw any text at exactly the code the server runs.
public enum RequestDecoding {
    /// The secret a request presents: `X-API-Key: KEY`, else `Authorization: Bearer KEY`
    /// (scheme case-insensitive). Surrounding blanks are ignored; nil when none is presented.
    public static func apiKey(authorization: String?, apiKeyHeader: String?) -> String? {
        var secret = apiKeyHeader
        if secret == nil, let authorization {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { secret = String(parts[1]) }
        }
        guard let trimmed = secret.map(trimmingBlanks), !trimmed.isEmpty else { return nil }
        return trimmed
    }

    /// A page size from `?limit=`: `fallback` when absent, nil when not a whole number in 1…maximum.
    public static func limit(_ text: String?, fallback: Int, maximum: Int) -> Int? {
        guard let text else { return fallback }
        guard text.utf8.count <= 19, let n = Int(text), (1...maximum).contains(n) else { return nil }
        return n
    }

    /// `KIND:VALUE`, split at the first colon (a byte, not a character: a combining mark after
    /// the colon must not hide it); nil unless both sides are non-empty.
    public static func identifierReference(_ text: String) -> (kind: IdentifierKind, raw: String)? {
        let utf8 = Array(text.utf8)
        guard let colon = utf8.firstIndex(of: UInt8(ascii: ":")), colon > 0, colon + 1 < utf8.count else { return nil }
        return (
            IdentifierKind(rawValue: String(decoding: utf8[..<colon], as: UTF8.self)),
            String(decoding: utf8[(colon + 1)...], as: UTF8.self)
        )
    }

    /// Whether `text` has a profile id's shape: `p` and 16 lowercase hex digits.
    public static func isProfileID(_ text: String) -> Bool {
        let utf8 = Array(text.utf8)
        guard utf8.count == 17, utf8[0] == UInt8(ascii: "p") else { return false }
        return utf8.dropFirst().allSatisfy {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains($0)
        }
    }

    /// Cursors are opaque to clients: unpadded base64url of the last item's sort key.
    public static func cursor(encoding text: String) -> String {
        Base64URL.encode(Array(text.utf8))
    }

    /// The sort key in a cursor, or nil when the cursor is not one `cursor(encoding:)` made.
    public static func cursorText(_ cursor: String) -> String? {
        guard let bytes = Base64URL.decode(cursor) else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    static func trimmingBlanks(_ text: String) -> String {
        let utf8 = Array(text.utf8)
        var start = 0
        var end = utf8.count
        while start < end, utf8[start] == 0x20 || utf8[start] == 0x09 { start += 1 }
        while end > start, utf8[end - 1] == 0x20 || utf8[end - 1] == 0x09 { end -= 1 }
        return String(decoding: utf8[start..<end], as: UTF8.self)
    }
}

/// RFC 4648 §5 base64url without padding; decoding also accepts padding and the standard
/// alphabet's `+` and `/`, and refuses anything else (including non-zero trailing bits).
enum Base64URL {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var i = 0
        while i + 3 <= bytes.count {
            let n = UInt32(bytes[i]) << 16 | UInt32(bytes[i + 1]) << 8 | UInt32(bytes[i + 2])
            for shift in [18, 12, 6, 0] as [UInt32] { out.append(alphabet[Int((n >> shift) & 63)]) }
            i += 3
        }
        let rest = bytes.count - i
        if rest > 0 {
            let n = UInt32(bytes[i]) << 16 | (rest == 2 ? UInt32(bytes[i + 1]) << 8 : 0)
            out.append(alphabet[Int((n >> 18) & 63)])
            out.append(alphabet[Int((n >> 12) & 63)])
            if rest == 2 { out.append(alphabet[Int((n >> 6) & 63)]) }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var digits: [UInt32] = []
        digits.reserveCapacity(text.utf8.count)
        var padding = 0
        for c in text.utf8 {
            if c == UInt8(ascii: "=") {
                padding += 1
                continue
            }
            guard padding == 0, let value = value(of: c) else { return nil }
            digits.append(value)
        }
        if padding > 0, (digits.count + padding) % 4 != 0 || padding > 2 { return nil }
        if digits.count % 4 == 1 { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(digits.count * 3 / 4)
        var i = 0
        while i + 4 <= digits.count {
            let n = digits[i] << 18 | digits[i + 1] << 12 | digits[i + 2] << 6 | digits[i + 3]
            out.append(UInt8(n >> 16))
            out.append(UInt8((n >> 8) & 0xFF))
            out.append(UInt8(n & 0xFF))
            i += 4
        }
        switch digits.count - i {
        case 2:
            let n = digits[i] << 18 | digits[i + 1] << 12
            guard n & 0xFFFF == 0 else { return nil }
            out.append(UInt8(n >> 16))
        case 3:
            let n = digits[i] << 18 | digits[i + 1] << 12 | digits[i + 2] << 6
            guard n & 0xFF == 0 else { return nil }
            out.append(UInt8(n >> 16))
            out.append(UInt8((n >> 8) & 0xFF))
        default: break
        }
        return out
    }

    private static func value(of c: UInt8) -> UInt32? {
        switch c {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return UInt32(c - UInt8(ascii: "A"))
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return UInt32(c - UInt8(ascii: "a")) + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UInt32(c - UInt8(ascii: "0")) + 52
        case UInt8(ascii: "-"), UInt8(ascii: "+"): return 62
        case UInt8(ascii: "_"), UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}
