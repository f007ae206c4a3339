import Foundation
import KithCore

/// A `yyyy/MM/dd HH:mm`-style pattern plus a time zone, turning a local time cell into an
/// RFC 3339 instant with the zone's offset at that moment (daylight saving included).
struct LocalTimeFormat: Sendable {
    enum Token: Sendable, Equatable {
        case year, month, day, hour, minute, second, millis
        case literal(UInt8)
        /// Width 2 fields written without padding (`M`, `d`, `H`) take 1–2 digits.
        case flexible(Token2)
    }

    enum Token2: Sendable, Equatable { case month, day, hour }

    let pattern: String
    let tokens: [Token]
    let zone: Zone
    let isRFC3339: Bool

    enum Zone: Sendable {
        case fixed(minutes: Int)
        case named(TimeZone)
    }

    init(format: String?, timeZone: String?) throws {
        let pattern = format ?? "rfc3339"
        self.pattern = pattern
        isRFC3339 = pattern.lowercased() == "rfc3339" || pattern.lowercased() == "iso8601"
        var tokens: [Token] = []
        if !isRFC3339 {
            let bytes = Array(pattern.utf8)
            var i = 0
            func run(_ c: UInt8) -> Int {
                var n = 0
                while i + n < bytes.count, bytes[i + n] == c { n += 1 }
                return n
            }
            while i < bytes.count {
                let c = bytes[i]
                let n = run(c)
                switch (c, n) {
                case (UInt8(ascii: "y"), 4): tokens.append(.year)
                case (UInt8(ascii: "M"), 2): tokens.append(.month)
                case (UInt8(ascii: "M"), 1): tokens.append(.flexible(.month))
                case (UInt8(ascii: "d"), 2): tokens.append(.day)
                case (UInt8(ascii: "d"), 1): tokens.append(.flexible(.day))
                case (UInt8(ascii: "H"), 2): tokens.append(.hour)
                case (UInt8(ascii: "H"), 1): tokens.append(.flexible(.hour))
                case (UInt8(ascii: "m"), 2): tokens.append(.minute)
                case (UInt8(ascii: "s"), 2): tokens.append(.second)
                case (UInt8(ascii: "S"), 3): tokens.append(.millis)
                case (let c, _) where (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A):
                    throw IngestError(
                        .badMapping,
                        "occurred_at.format '\(pattern)': unsupported field '\(String(repeating: Character(Unicode.Scalar(c)), count: n))' "
                            + "(use yyyy, MM/M, dd/d, HH/H, mm, ss, SSS)")
                default:
                    for _ in 0..<n { tokens.append(.literal(c)) }
                }
                i += n
            }
        }
        self.tokens = tokens
        if let tz = timeZone {
            if let fixed = LocalTimeFormat.fixedOffset(tz) {
                zone = .fixed(minutes: fixed)
            } else if let named = TimeZone(identifier: tz) {
                zone = .named(named)
            } else {
                throw IngestError(.badMapping, "occurred_at.time_zone '\(tz)' is not an IANA zone or ±HH:MM offset")
            }
        } else {
            if !isRFC3339 {
                throw IngestError(
                    .badMapping, "occurred_at.time_zone is required with a local format such as '\(pattern)'")
            }
            zone = .fixed(minutes: 0)
        }
    }

    static func fixedOffset(_ text: String) -> Int? {
        if text == "Z" || text == "UTC" { return 0 }
        let b = Array(text.utf8)
        guard b.count == 6, b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-"), b[3] == UInt8(ascii: ":"),
            let h = Int(String(decoding: b[1..<3], as: UTF8.self)),
            let m = Int(String(decoding: b[4..<6], as: UTF8.self))
        else { return nil }
        return (b[0] == UInt8(ascii: "-") ? -1 : 1) * (h * 60 + m)
    }

    /// The instant of a cell, or a reason naming the column and the expected format.
    ///
    /// `cache` remembers zone offsets by local hour, so a named zone is consulted once an hour
    /// of data rather than once a row.
    func parse(_ b: UnsafeBufferPointer<UInt8>, column: String, cache: inout [Int64: Int])
        -> Result<Timestamp, QuarantineReason>
    {
        if isRFC3339 {
            return Timestamp.parse(bytes: b).mapError {
                QuarantineReason(.badTimestamp, field: "occurred_at", "column `\(column)`: \($0.message)")
            }
        }
        func fail() -> Result<Timestamp, QuarantineReason> {
            .failure(
                QuarantineReason(
                    .badTimestamp, field: "occurred_at",
                    "column `\(column)`: '\(String(decoding: b.prefix(40), as: UTF8.self))' is not a date in the mapping's format '\(pattern)'"
                ))
        }
        var i = 0
        var f = [0, 1, 1, 0, 0, 0, 0]  // y M d H m s ms
        func digits(_ min: Int, _ max: Int) -> Int? {
            var v = 0
            var n = 0
            while n < max, i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                v = v * 10 + Int(b[i] - 0x30)
                i += 1
                n += 1
            }
            return n >= min ? v : nil
        }
        for t in tokens {
            switch t {
            case .year: guard let v = digits(4, 4) else { return fail() }; f[0] = v
            case .month: guard let v = digits(2, 2) else { return fail() }; f[1] = v
            case .day: guard let v = digits(2, 2) else { return fail() }; f[2] = v
            case .hour: guard let v = digits(2, 2) else { return fail() }; f[3] = v
            case .minute: guard let v = digits(2, 2) else { return fail() }; f[4] = v
            case .second: guard let v = digits(2, 2) else { return fail() }; f[5] = v
            case .millis: guard let v = digits(3, 3) else { return fail() }; f[6] = v
            case .flexible(.month): guard let v = digits(1, 2) else { return fail() }; f[1] = v
            case .flexible(.day): guard let v = digits(1, 2) else { return fail() }; f[2] = v
            case .flexible(.hour): guard let v = digits(1, 2) else { return fail() }; f[3] = v
            case .literal(let c): guard i < b.count, b[i] == c else { return fail() }; i += 1
            }
        }
        guard i == b.count, (1...12).contains(f[1]),
            (1...Timestamp.daysInMonth(year: f[0], month: f[1])).contains(f[2]),
            f[3] < 24, f[4] < 60, f[5] < 60
        else { return fail() }
        let local =
            Int64(Timestamp.daysFromCivil(year: f[0], month: f[1], day: f[2])) * 86_400
            + Int64(f[3] * 3600 + f[4] * 60 + f[5])
        let offsetMinutes: Int
        switch zone {
        case .fixed(let m): offsetMinutes = m
        case .named(let tz):
            // The offset in force at that local time: guess with the offset at the same UTC
            // reading, then correct once (exact except inside a DST gap).
            let hour = local / 3600
            if let cached = cache[hour] {
                offsetMinutes = cached
            } else {
                let guess = tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local)))
                offsetMinutes =
                    tz.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(local - Int64(guess)))) / 60
                cache[hour] = offsetMinutes
            }
        }
        return .success(
            Timestamp(
                epochSeconds: local - Int64(offsetMinutes * 60), nanoseconds: Int32(f[6] * 1_000_000),
                offsetMinutes: Int16(offsetMinutes)))
    }
}
