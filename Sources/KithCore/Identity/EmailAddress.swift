/// Email normalisation per the contract: trimmed, lower-cased, one `@`, a dotted domain.
enum EmailAddress {
    static func normalize(_ raw: String) -> Result<String, QuarantineReason> {
        let value = raw.trimmingWhitespace().lowercased()
        let parts = value.utf8.split(separator: UInt8(ascii: "@"), omittingEmptySubsequences: false)
        guard parts.count == 2 else {
            return .failure(reject(value, "must contain exactly one '@' (found \(parts.count - 1))"))
        }
        let local = parts[0]
        let domain = parts[1]
        if local.isEmpty { return .failure(reject(value, "has nothing before '@'")) }
        if value.utf8.count > IdentifierNormalizer.maximumLength {
            return .failure(reject(value, "is longer than \(IdentifierNormalizer.maximumLength) bytes"))
        }
        if value.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 }) {
            return .failure(reject(value, "contains white space or control characters"))
        }
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else {
            return .failure(reject(value, "needs a dotted domain after '@' such as example.com"))
        }
        return .success(value)
    }

    static func reject(_ value: String, _ why: String) -> QuarantineReason {
        QuarantineReason(.badIdentifier, field: "identifiers.email", "email '\(Masking.maskEmail(value))' \(why)")
    }
}
