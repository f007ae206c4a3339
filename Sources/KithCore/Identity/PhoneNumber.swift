/// Phone normalisation per the contract: mainland mobiles in any spelling become `+86…`;
/// other countries keep their `+CC…` form; anything implausible is rejected, never guessed.
enum PhoneNumber {
    static func normalize(_ bytes: UnsafeBufferPointer<UInt8>, appendingTo out: inout [UInt8]) -> QuarantineReason? {
        // Phone numbers are short: keep the digits on the stack.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 32) { storage in
            var digits = StackDigits(storage: storage)
            if bytes.allSatisfy({ $0 < 0x80 }) {
                return normalize(bytes.lazy.map { Unicode.Scalar($0) }, raw: bytes, into: &digits, appendingTo: &out)
            }
            let text = String(decoding: bytes, as: UTF8.self)
            return normalize(text.unicodeScalars, raw: bytes, into: &digits, appendingTo: &out)
        }
    }

    /// A bounded digit buffer; digits past its capacity only count (the number is rejected anyway).
    struct StackDigits {
        let storage: UnsafeMutableBufferPointer<UInt8>
        var count = 0
        mutating func append(_ d: UInt8) {
            if count < storage.count { storage[count] = d }
            count += 1
        }
        var isEmpty: Bool { count == 0 }
        var slice: Slice<UnsafeBufferPointer<UInt8>> {
            UnsafeBufferPointer(storage)[0..<min(count, storage.count)]
        }
    }

    static func normalize(
        _ scalars: some Sequence<Unicode.Scalar>, raw: UnsafeBufferPointer<UInt8>, into buffer: inout StackDigits,
        appendingTo out: inout [UInt8]
    ) -> QuarantineReason? {
        var plus = false
        var sawDigit = false
        for scalar in scalars {
            var v = scalar.value
            if v >= 0xFF10 && v <= 0xFF19 { v = v - 0xFF10 + 0x30 }  // full-width digits
            if v == 0xFF0B { v = 0x2B }  // full-width plus
            switch v {
            case 0x30...0x39:
                buffer.append(UInt8(v))
                sawDigit = true
            case 0x2B where !sawDigit && !plus:
                plus = true
            case 0x20, 0x2D, 0x2E, 0x28, 0x29, 0x09, 0xA0, 0x3000, 0xFF08, 0xFF09, 0xFF0D:
                continue
            default:
                return reject(raw, "contains '\(Character(scalar))', which is not a digit or separator")
            }
        }
        if buffer.isEmpty { return reject(raw, "has no digits") }
        if buffer.count > buffer.storage.count {
            return reject(raw, "has \(buffer.count) digits; E.164 allows at most 15")
        }
        let digits = buffer.slice

        var international: Slice<UnsafeBufferPointer<UInt8>>?
        if plus {
            international = digits
        } else if startsWith(digits, 0x30, 0x30) {
            international = digits.dropFirst(2)
        } else if isMainlandMobile(digits) {
            appendPlus86(&out)
            out.append(contentsOf: digits)
            return nil
        } else if digits.count == 13, startsWith(digits, 0x38, 0x36), isMainlandMobile(digits.dropFirst(2)) {
            out.append(0x2B)
            out.append(contentsOf: digits)
            return nil
        } else if digits.first == 0x30, isMainlandNational(digits.dropFirst()) {
            // Domestic landline with trunk prefix: 021-5555 1234 → +862155551234.
            appendPlus86(&out)
            out.append(contentsOf: digits.dropFirst())
            return nil
        }
        guard let number = international else {
            return reject(
                raw, "is not a mainland mobile (11 digits starting 13–19) nor an international number with +CC")
        }
        guard let first = number.first, first != 0x30 else {
            return reject(raw, "has no country code after the international prefix")
        }
        if startsWith(number, 0x38, 0x36) && !isMainlandNational(number.dropFirst(2)) {
            return reject(
                raw, "has +86 but is neither an 11-digit mobile (13–19…) nor an area code with a 7–8 digit number")
        }
        guard (8...15).contains(number.count) else {
            return reject(raw, "has \(number.count) digits after the country code prefix; E.164 allows 8–15")
        }
        out.append(0x2B)
        out.append(contentsOf: number)
        return nil
    }

    /// A mainland number after +86 or the trunk 0: a mobile, Beijing (10 + 8 digits), a two-digit
    /// area code 2x + 8 digits, or a three-digit area code (3xx–9xx) + 7–8 digits.
    static func isMainlandNational(_ d: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard let first = d.first, d.count >= 2 else { return false }
        let second = d[d.startIndex + 1]
        switch first {
        case 0x31:
            return second == 0x30 ? d.count == 10 : isMainlandMobile(d)
        case 0x32:
            return d.count == 10
        case 0x33...0x39:
            return d.count == 10 || d.count == 11
        default:
            return false
        }
    }

    @inline(__always) static func appendPlus86(_ out: inout [UInt8]) {
        out.append(0x2B)
        out.append(0x38)
        out.append(0x36)
    }

    @inline(__always) static func startsWith(_ d: Slice<UnsafeBufferPointer<UInt8>>, _ a: UInt8, _ b: UInt8) -> Bool {
        d.count >= 2 && d[d.startIndex] == a && d[d.startIndex + 1] == b
    }

    static func isMainlandMobile(_ digits: Slice<UnsafeBufferPointer<UInt8>>) -> Bool {
        guard digits.count == 11, digits.first == 0x31 else { return false }
        let second = digits[digits.startIndex + 1]
        return second >= 0x33 && second <= 0x39
    }

    static func reject(_ raw: UnsafeBufferPointer<UInt8>, _ why: String) -> QuarantineReason {
        let text = String(decoding: raw, as: UTF8.self)
        return QuarantineReason(
            .badIdentifier, field: "identifiers.phone", "phone '\(Masking.maskGeneric(text))' \(why)")
    }
}
