extension Timestamp {
    public static func parse(_ text: String) -> Result<Timestamp, QuarantineReason> {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, rejecting impossible dates.
    public static func parse(bytes b: UnsafeBufferPointer<UInt8>, field: String = "occurred_at")
        -> Result<Timestamp, QuarantineReason>
    {
        func fail(_ why: String) -> Result<Timestamp, QuarantineReason> {
            let shown = String(decoding: b.prefix(48), as: UTF8.self)
            return .failure(
                QuarantineReason(
                    .badTimestamp, field: field, "\(field) '\(shown)' is not an RFC 3339 timestamp: \(why)"))
        }
        let n = b.count
        func digits(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= n else { return nil }
            var v = 0
            for k in at..<(at + count) {
                let c = b[k]
                guard c >= 0x30 && c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            return v
        }
        guard n >= 20 else { return fail("expected a form like 2026-03-01T10:15:00+08:00") }
        guard let year = digits(0, 4), b[4] == UInt8(ascii: "-"), let month = digits(5, 2), b[7] == UInt8(ascii: "-"),
            let day = digits(8, 2)
        else { return fail("expected the date as YYYY-MM-DD") }
        guard b[10] == UInt8(ascii: "T") || b[10] == UInt8(ascii: "t") else {
            return fail("expected 'T' between date and time")
        }
        guard let hour = digits(11, 2), b[13] == UInt8(ascii: ":"), let minute = digits(14, 2),
            b[16] == UInt8(ascii: ":"), let second = digits(17, 2)
        else { return fail("expected the time as HH:MM:SS") }
        guard (1...12).contains(month) else { return fail("month \(month) is not 1–12") }
        let dim = daysInMonth(year: year, month: month)
        guard (1...dim).contains(day) else { return fail("day \(day) is not in 1–\(dim) for \(year)-\(month)") }
        guard hour < 24 else { return fail("hour \(hour) is not 0–23") }
        guard minute < 60 else { return fail("minute \(minute) is not 0–59") }
        guard second < 60 else { return fail("second \(second) is not 0–59") }
        var i = 19
        var nanos = 0
        if i < n, b[i] == UInt8(ascii: ".") {
            i += 1
            var count = 0
            while i < n, b[i] >= 0x30, b[i] <= 0x39 {
                if count < 9 { nanos = nanos * 10 + Int(b[i] - 0x30) }
                count += 1
                i += 1
            }
            guard count > 0 else { return fail("expected digits after '.'") }
            guard count <= 9 else { return fail("more than 9 fractional digits") }
            for _ in count..<9 { nanos *= 10 }
        }
        guard i < n else { return fail("missing the offset (Z or ±HH:MM)") }
        var offset = 0
        if b[i] == UInt8(ascii: "Z") || b[i] == UInt8(ascii: "z") {
            i += 1
        } else if b[i] == UInt8(ascii: "+") || b[i] == UInt8(ascii: "-") {
            let sign = b[i] == UInt8(ascii: "-") ? -1 : 1
            guard let oh = digits(i + 1, 2), i + 3 < n, b[i + 3] == UInt8(ascii: ":"), let om = digits(i + 4, 2) else {
                return fail("expected the offset as ±HH:MM")
            }
            guard oh < 24, om < 60 else { return fail("offset \(oh):\(om) is out of range") }
            offset = sign * (oh * 60 + om)
            i += 6
        } else {
            return fail("missing the offset (Z or ±HH:MM)")
        }
        guard i == n else { return fail("unexpected text after the offset") }
        let days = daysFromCivil(year: year, month: month, day: day)
        let local = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
        return .success(
            Timestamp(
                epochSeconds: local - Int64(offset * 60), nanoseconds: Int32(nanos), offsetMinutes: Int16(offset)))
    }

    /// Appends the canonical RFC 3339 text: fraction trimmed of trailing zeros, `Z` for a zero offset.
    public func append(to out: inout [UInt8]) {
        let local = epochSeconds + Int64(offsetMinutes) * 60
        var days = local / 86_400
        var secs = Int(local % 86_400)
        if secs < 0 {
            secs += 86_400
            days -= 1
        }
        let (y, m, d) = Timestamp.civilFromDays(days)
        @inline(__always) func two(_ v: Int) {
            out.append(UInt8(truncatingIfNeeded: 0x30 + v / 10))
            out.append(UInt8(truncatingIfNeeded: 0x30 + v % 10))
        }
        let year = max(0, min(9999, y))
        two(year / 100)
        two(year % 100)
        out.append(UInt8(ascii: "-"))
        two(m)
        out.append(UInt8(ascii: "-"))
        two(d)
        out.append(UInt8(ascii: "T"))
        two(secs / 3600)
        out.append(UInt8(ascii: ":"))
        two(secs / 60 % 60)
        out.append(UInt8(ascii: ":"))
        two(secs % 60)
        if nanoseconds != 0 {
            var frac = Int(nanoseconds)
            var width = 9
            while frac % 10 == 0 {
                frac /= 10
                width -= 1
            }
            out.append(UInt8(ascii: "."))
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(truncatingIfNeeded: 0x30 + frac / divisor % 10))
                divisor /= 10
            }
        }
        if offsetMinutes == 0 {
            out.append(UInt8(ascii: "Z"))
        } else {
            out.append(offsetMinutes < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
            let o = Int(offsetMinutes.magnitude)
            two(o / 60)
            out.append(UInt8(ascii: ":"))
            two(o % 60)
        }
    }

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    public static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func civilFromDays(_ days: Int64) -> (Int, Int, Int) {
        let z = Int(days) + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }
}
