/// An exact amount of money in minor units (fen for CNY). No binary floating point anywhere.
///
/// For example: `Money.parse("158.00", currency: "CNY")` → `Money(minorUnits: 15800, currency: "CNY")`.
public struct Money: Sendable, Hashable, Codable, CustomStringConvertible {
    public var minorUnits: Int64
    public var currency: String

    public init(minorUnits: Int64, currency: String) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    /// Decimal places of a currency's minor unit (ISO 4217); 2 unless listed.
    public static func minorDigits(of currency: String) -> Int {
        switch currency {
        case "JPY", "KRW", "VND", "CLP", "ISK", "UGX": return 0
        case "BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD": return 3
        default: return 2
        }
    }

    /// Parses a decimal text (`158`, `158.5`, `1.58e2`) exactly into minor units.
    public static func parse(_ text: String, currency: String = "CNY") -> Result<Money, QuarantineReason> {
        var text = text
        return text.withUTF8 { parse(bytes: $0, currency: currency) }
    }

    public static func parse(bytes: UnsafeBufferPointer<UInt8>, currency: String) -> Result<Money, QuarantineReason> {
        func fail(_ why: String) -> Result<Money, QuarantineReason> {
            let shown = String(decoding: bytes.prefix(40), as: UTF8.self)
            return .failure(QuarantineReason(.badAmount, field: "properties.amount", "amount '\(shown)' \(why)"))
        }
        var i = 0
        let n = bytes.count
        var negative = false
        if i < n, bytes[i] == UInt8(ascii: "-") {
            negative = true
            i += 1
        } else if i < n, bytes[i] == UInt8(ascii: "+") {
            i += 1
        }
        var mantissa: [UInt8] = []  // significant digits, integer part then fraction
        var fractionDigits = 0
        var sawDigit = false
        var sawPoint = false
        while i < n {
            let b = bytes[i]
            if b >= 0x30 && b <= 0x39 {
                sawDigit = true
                if !(mantissa.isEmpty && b == 0x30) || sawPoint { mantissa.append(b - 0x30) }
                if sawPoint { fractionDigits += 1 }
            } else if b == UInt8(ascii: "."), !sawPoint {
                sawPoint = true
            } else {
                break
            }
            i += 1
        }
        guard sawDigit else { return fail("is not a decimal number") }
        var exponent = 0
        if i < n, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            var expNegative = false
            if i < n, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                expNegative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            var expDigits = 0
            while i < n, bytes[i] >= 0x30, bytes[i] <= 0x39 {
                if exponent < 10_000 { exponent = exponent * 10 + Int(bytes[i] - 0x30) }
                expDigits += 1
                i += 1
            }
            if expDigits == 0 { return fail("has an exponent without digits") }
            if expNegative { exponent = -exponent }
        }
        if i != n { return fail("is not a decimal number") }
        // value = mantissa × 10^(exponent − fractionDigits); we want value × 10^minor.
        let minor = minorDigits(of: currency)
        let shift = exponent - fractionDigits + minor
        var digits = mantissa[...]
        if shift < 0 {
            let dropped = digits.suffix(min(-shift, digits.count))
            if dropped.contains(where: { $0 != 0 }) {
                return fail("has more decimal places than \(currency)'s \(minor)")
            }
            digits = digits.dropLast(min(-shift, digits.count))
        }
        var units: Int64 = 0
        for d in digits {
            let (m, o1) = units.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return fail("is too large") }
            units = s
        }
        if shift > 0 {
            for _ in 0..<shift {
                if units == 0 { break }
                let (m, o) = units.multipliedReportingOverflow(by: 10)
                if o { return fail("is too large") }
                units = m
            }
        }
        if negative && units != 0 { return fail("is negative; amounts are positive (a refund reduces monetary value)") }
        return .success(Money(minorUnits: units, currency: currency))
    }

    /// `158.00 CNY`-style decimal text without the currency.
    public var decimalString: String {
        let digits = Money.minorDigits(of: currency)
        let sign = minorUnits < 0 ? "-" : ""
        let magnitude = minorUnits.magnitude
        guard digits > 0 else { return sign + String(magnitude) }
        var scale: UInt64 = 1
        for _ in 0..<digits { scale *= 10 }
        let fraction = String(magnitude % scale)
        return sign + String(magnitude / scale) + "." + String(repeating: "0", count: digits - fraction.count)
            + fraction
    }

    public var description: String { "\(decimalString) \(currency)" }
}
