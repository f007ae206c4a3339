/// Turns an identifier as a channel wrote it into the one value Kith compares.
///
/// Pure and idempotent: `normalize(normalize(x)) == normalize(x)`.
/// For example: `normalize(.phone, "138 0013 8000")` → `.success("+8613800138000")`.
public enum IdentifierNormalizer {
    /// How a kind's values are normalised.
    public enum Method: String, Codable, Sendable {
        case phone, email, text
    }

    /// Values longer than this are not identifiers but pasted text.
    public static let maximumLength = 256
    /// Identifier values one event may carry. An event describes one customer; more values
    /// than this are an export bug, and each pair of them would become an identity edge.
    public static let maximumPerEvent = 64

    public static func normalize(_ kind: IdentifierKind, _ raw: String) -> Result<String, QuarantineReason> {
        var out: [UInt8] = []
        out.reserveCapacity(raw.utf8.count + 4)
        var raw = raw
        let problem = raw.withUTF8 { normalize(kind, bytes: $0, appendingTo: &out) }
        if let problem { return .failure(problem) }
        return .success(String(decoding: out, as: UTF8.self))
    }

    /// The hot-path form: appends the normalised value's UTF-8 to `out`, or returns why not
    /// (leaving `out` as it was). ASCII input never builds a String.
    package static func normalize(
        _ kind: IdentifierKind, bytes: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8],
        method: Method? = nil
    ) -> QuarantineReason? {
        // Ingest quarantines invalid UTF-8 before this point, but the normaliser is public and
        // must stay idempotent for any bytes: invalid text is refused, never repaired.
        if bytes.contains(where: { $0 >= 0x80 }), String(validating: bytes, as: UTF8.self) == nil {
            return QuarantineReason(
                .badEncoding, field: "identifiers.\(kind.rawValue)", "\(kind.rawValue) is not valid UTF-8")
        }
        switch method ?? (kind == .phone ? .phone : kind == .email ? .email : .text) {
        case .phone: return PhoneNumber.normalize(bytes, appendingTo: &out)
        case .email: return EmailAddress.normalize(bytes, appendingTo: &out)
        case .text: return normalizeOpaque(kind, bytes, appendingTo: &out)
        }
    }

    static func normalizeOpaque(
        _ kind: IdentifierKind, _ bytes: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8]
    )
        -> QuarantineReason?
    {
        if let first = bytes.first, let last = bytes.last, first < 0x80, last < 0x80 {
            // Byte trimming agrees with the Unicode path only when what is left starts and ends
            // in ASCII: a space followed by a combining mark is one character, and stays.
            let trimmed = trimASCII(bytes)
            if (trimmed.first ?? 0) < 0x80 && (trimmed.last ?? 0) < 0x80 {
                return appendOpaque(kind, trimmed, to: &out)
            }
        }
        let trimmed = Array(String(decoding: bytes, as: UTF8.self).trimmingWhitespace().utf8)
        return trimmed.withUnsafeBufferPointer { appendOpaque(kind, $0[...], to: &out) }
    }

    private static func appendOpaque(
        _ kind: IdentifierKind, _ value: Slice<UnsafeBufferPointer<UInt8>>, to out: inout [UInt8]
    ) -> QuarantineReason? {
        var field: String { "identifiers.\(kind.rawValue)" }
        if value.isEmpty { return QuarantineReason(.badIdentifier, field: field, "\(kind.rawValue) is empty") }
        if value.count > maximumLength {
            return QuarantineReason(
                .badIdentifier, field: field,
                "\(kind.rawValue) is \(value.count) bytes long; at most \(maximumLength) are allowed")
        }
        if value.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            return QuarantineReason(.badIdentifier, field: field, "\(kind.rawValue) contains control characters")
        }
        out.append(contentsOf: value)
        return nil
    }

    static func trimASCII(_ bytes: UnsafeBufferPointer<UInt8>) -> Slice<UnsafeBufferPointer<UInt8>> {
        var start = 0
        var end = bytes.count
        while start < end, isASCIISpace(bytes[start]) { start += 1 }
        while end > start, isASCIISpace(bytes[end - 1]) { end -= 1 }
        return bytes[start..<end]
    }

    @inline(__always) static func isASCIISpace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C
    }
}

extension String {
    /// Trims characters made only of white space, ASCII or Unicode (including the ideographic
    /// space U+3000); a space carrying a combining mark is not white space.
    package func trimmingWhitespace() -> String {
        let utf8 = self.utf8
        if let first = utf8.first, let last = utf8.last, first > 0x20, last > 0x20, first < 0x80, last < 0x80 {
            return self
        }
        var start = startIndex
        var end = endIndex
        func blank(_ c: Character) -> Bool { c.unicodeScalars.allSatisfy(\.properties.isWhitespace) }
        while start < end, blank(self[start]) { start = index(after: start) }
        while end > start, blank(self[index(before: end)]) { end = index(before: end) }
        return String(self[start..<end])
    }
}
