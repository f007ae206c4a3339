/// Turns an identifier as a channel wrote it into the one value Kith compares.
///
/// Pure and idempotent: `normalize(normalize(x)) == normalize(x)`.
/// For example: `normalize(.phone, "138 0013 8000")` → `.success("+8613800138000")`.
public enum IdentifierNormalizer {
    /// Values longer than this are not identifiers but pasted text.
    public static let maximumLength = 256

    public static func normalize(_ kind: IdentifierKind, _ raw: String) -> Result<String, QuarantineReason> {
        switch kind {
        case .phone: return PhoneNumber.normalize(raw)
        case .email: return EmailAddress.normalize(raw)
        default: return normalizeOpaque(kind, raw)
        }
    }

    static func normalizeOpaque(_ kind: IdentifierKind, _ raw: String) -> Result<String, QuarantineReason> {
        let trimmed = raw.trimmingWhitespace()
        let field = "identifiers.\(kind.rawValue)"
        if trimmed.isEmpty {
            return .failure(QuarantineReason(.badIdentifier, field: field, "\(kind.rawValue) is empty"))
        }
        if trimmed.utf8.count > maximumLength {
            return .failure(
                QuarantineReason(
                    .badIdentifier, field: field,
                    "\(kind.rawValue) is \(trimmed.utf8.count) bytes long; at most \(maximumLength) are allowed"))
        }
        if trimmed.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            return .failure(
                QuarantineReason(.badIdentifier, field: field, "\(kind.rawValue) contains control characters"))
        }
        return .success(trimmed)
    }
}

extension String {
    /// Trims ASCII and Unicode white space (including the ideographic space U+3000).
    package func trimmingWhitespace() -> String {
        let utf8 = self.utf8
        if let first = utf8.first, let last = utf8.last, first > 0x20, last > 0x20, first < 0x80, last < 0x80 {
            return self
        }
        var start = startIndex
        var end = endIndex
        while start < end, self[start].isWhitespace { start = index(after: start) }
        while end > start, self[index(before: end)].isWhitespace { end = index(before: end) }
        return String(self[start..<end])
    }
}
