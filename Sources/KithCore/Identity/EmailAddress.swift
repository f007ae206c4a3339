/// Email normalisation per the contract: trimmed, lower-cased, one `@`, a dotted domain.
enum EmailAddress {
    static func normalize(_ bytes: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8]) -> QuarantineReason? {
        let start = out.count
        if bytes.allSatisfy({ $0 < 0x80 }) {
            for c in IdentifierNormalizer.trimASCII(bytes) {
                out.append(c >= 0x41 && c <= 0x5A ? c + 0x20 : c)
            }
        } else {
            out.append(contentsOf: String(decoding: bytes, as: UTF8.self).trimmingWhitespace().lowercased().utf8)
        }
        if let problem = check(out[start...]) {
            out.removeSubrange(start...)
            return problem
        }
        return nil
    }

    static func check(_ value: ArraySlice<UInt8>) -> QuarantineReason? {
        var ats = 0
        var at = value.endIndex
        for i in value.indices where value[i] == UInt8(ascii: "@") {
            ats += 1
            at = i
        }
        guard ats == 1 else { return reject(value, "must contain exactly one '@' (found \(ats))") }
        if at == value.startIndex { return reject(value, "has nothing before '@'") }
        if value.count > IdentifierNormalizer.maximumLength {
            return reject(value, "is longer than \(IdentifierNormalizer.maximumLength) bytes")
        }
        if value.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return reject(value, "contains white space or control characters")
        }
        if value.contains(where: { $0 >= 0x80 }),
            String(decoding: value, as: UTF8.self).unicodeScalars.contains(where: { $0.properties.isWhitespace })
        {
            return reject(value, "contains white space or control characters")
        }
        let domain = value[(at + 1)...]
        let labels = domain.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else {
            return reject(value, "needs a dotted domain after '@' such as example.com")
        }
        return nil
    }

    static func reject(_ value: ArraySlice<UInt8>, _ why: String) -> QuarantineReason {
        QuarantineReason(
            .badIdentifier, field: "identifiers.email",
            "email '\(Masking.maskEmail(String(decoding: value, as: UTF8.self)))' \(why)")
    }
}
