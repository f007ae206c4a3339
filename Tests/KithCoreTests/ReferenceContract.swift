import Foundation

/// Slow, obvious readings of the contract's values (spec/events.md), written with Foundation
/// (`Calendar`, `DateFormatter`, `Decimal`) and plain string code. None of it calls Kith's
/// parsers or normalisers, so a bug there cannot pass on both sides.
enum ReferenceContract {
    /// What the reference decides of a value.
    enum Verdict<Value: Equatable>: Equatable {
        case valid(Value)
        case invalid
        /// Outside what the reference can judge (Foundation's calendar turns Julian before 1600).
        case notJudged
    }

    struct Instant: Equatable {
        var epochSeconds: Int64
        var nanoseconds: Int32
        var offsetMinutes: Int
        var canonical: String
    }

    nonisolated(unsafe) static let rfc3339 =
        /([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]+))?(?:([Zz])|([+-])([0-9]{2}):([0-9]{2}))/

    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`: a real calendar day, no leap second, at most
    /// 9 fractional digits, an offset under 24 hours.
    static func timestamp(_ text: String) -> Verdict<Instant> {
        guard let m = text.wholeMatch(of: rfc3339) else { return .invalid }
        // The pattern matched digits only: these parse.
        func number(_ digits: Substring) -> Int { Int(digits) ?? -1 }
        let (year, month, day) = (number(m.1), number(m.2), number(m.3))
        let (hour, minute, second) = (number(m.4), number(m.5), number(m.6))
        let fraction = m.7.map(String.init) ?? ""
        guard fraction.count <= 9, (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 60
        else { return .invalid }
        var offset = 0
        if let sign = m.9, let oh = m.10.flatMap({ Int($0) }), let om = m.11.flatMap({ Int($0) }) {
            guard oh < 24, om < 60 else { return .invalid }
            offset = (sign == "-" ? -1 : 1) * (oh * 60 + om)
        }
        guard year >= 1600 else { return .notJudged }
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(secondsFromGMT: 0) ?? .current
        let wall = DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        guard let local = utc.date(from: wall) else { return .invalid }
        // The calendar rolls 2026-02-30 over into March: a day that does not exist.
        let back = utc.dateComponents([.year, .month, .day], from: local)
        guard back.year == year, back.month == month, back.day == day else { return .invalid }
        let nanos = Int32(fraction.padding(toLength: 9, withPad: "0", startingAt: 0)) ?? 0
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.calendar = utc
        formatter.timeZone = utc.timeZone
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
        var canonical = formatter.string(from: local)
        var trimmed = fraction
        while trimmed.hasSuffix("0") { trimmed.removeLast() }
        if !trimmed.isEmpty { canonical += "." + trimmed }
        if offset == 0 {
            canonical += "Z"
        } else {
            canonical += (offset < 0 ? "-" : "+") + String(format: "%02d:%02d", abs(offset) / 60, abs(offset) % 60)
        }
        return .valid(
            Instant(
                epochSeconds: Int64(local.timeIntervalSince1970) - Int64(offset * 60), nanoseconds: nanos,
                offsetMinutes: offset, canonical: canonical))
    }

    // MARK: Identifiers

    static let separators: Set<Unicode.Scalar> = [
        " ", "-", ".", "(", ")", "\t", "\u{A0}", "\u{3000}", "\u{FF08}", "\u{FF09}", "\u{FF0D}",
    ]

    static func isMobile(_ d: Substring) -> Bool { d.wholeMatch(of: /1[3-9][0-9]{9}/) != nil }
    /// A mainland number after +86 or the trunk 0: a mobile, Beijing 10 + 8 digits, 2x + 8
    /// digits, or a three-digit area code (3xx–9xx) + 7–8 digits.
    static func isNational(_ d: Substring) -> Bool {
        d.wholeMatch(of: /1[3-9][0-9]{9}|10[0-9]{8}|2[0-9]{9}|[3-9][0-9]{9,10}/) != nil
    }

    /// Mainland mobiles in any spelling become `+86…`, domestic landlines lose their trunk 0,
    /// other countries keep `+CC` (8–15 digits); anything else is rejected.
    static func phone(_ raw: String) -> String? {
        var text = ""
        for scalar in raw.unicodeScalars {
            switch scalar.value {
            case 0x30...0x39: text.unicodeScalars.append(scalar)
            case 0xFF10...0xFF19: text.unicodeScalars.append(Unicode.Scalar(UInt8(scalar.value - 0xFF10 + 0x30)))
            case 0x2B, 0xFF0B: text += "+"
            default:
                guard separators.contains(scalar) else { return nil }
            }
        }
        guard let m = text.wholeMatch(of: /(\+?)([0-9]+)/), m.2.count <= 32 else { return nil }
        let digits = m.2
        let international: Substring
        if !m.1.isEmpty {
            international = digits
        } else if digits.hasPrefix("00") {
            international = digits.dropFirst(2)
        } else if isMobile(digits) {
            return "+86" + digits
        } else if digits.count == 13, digits.hasPrefix("86"), isMobile(digits.dropFirst(2)) {
            return "+" + digits
        } else if digits.hasPrefix("0"), isNational(digits.dropFirst()) {
            return "+86" + digits.dropFirst()
        } else {
            return nil
        }
        guard let first = international.first, first != "0" else { return nil }
        if international.hasPrefix("86"), !isNational(international.dropFirst(2)) { return nil }
        guard (8...15).contains(international.count) else { return nil }
        return "+" + international
    }

    /// Trimmed, lower-cased, one `@` with something before it, a dotted domain, no white space or
    /// control characters, at most 256 bytes.
    static func email(_ raw: String) -> String? {
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        let halves = value.split(separator: "@", omittingEmptySubsequences: false)
        guard halves.count == 2, !halves[0].isEmpty, value.utf8.count <= 256,
            !value.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F || $0.properties.isWhitespace }
            )
        else { return nil }
        let labels = halves[1].split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty }) else { return nil }
        return value
    }

    /// Other kinds: trimmed, not empty, at most 256 bytes, no control characters.
    static func text(_ raw: String) -> String? {
        let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty, value.utf8.count <= 256,
            !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F })
        else { return nil }
        return value
    }

    // MARK: Money

    nonisolated(unsafe) static let decimalText = /[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/

    /// Minor units of a decimal text (`158`, `158.5`, `1.58e2`), read by `Decimal`: nil if it is
    /// not a decimal, has more places than the currency's minor unit, is negative or too large.
    static func minorUnits(_ text: String, currency: String) -> Int64? {
        guard text.wholeMatch(of: decimalText) != nil,
            let value = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX"))
        else { return nil }
        let places =
            ["JPY", "KRW", "VND", "CLP", "ISK", "UGX"].contains(currency)
            ? 0 : ["BHD", "KWD", "OMR", "JOD", "TND", "IQD", "LYD"].contains(currency) ? 3 : 2
        var scaled = value * pow(Decimal(10), places)
        var whole = Decimal()
        NSDecimalRound(&whole, &scaled, 0, .down)
        guard whole == scaled, scaled >= 0, scaled <= Decimal(Int64.max) else { return nil }
        return Int64("\(scaled)")
    }
}
