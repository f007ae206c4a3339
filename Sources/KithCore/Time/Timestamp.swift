/// An RFC 3339 instant with the offset it was written in, kept so local time is never lost.
///
/// For example: `Timestamp.parse("2026-03-01T10:15:00+08:00")` keeps `+08:00`;
/// `description` renders the canonical form back.
public struct Timestamp: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var epochSeconds: Int64
    public var nanoseconds: Int32
    /// The writer's offset from UTC in minutes (+480 for China).
    public var offsetMinutes: Int16

    public init(epochSeconds: Int64, nanoseconds: Int32 = 0, offsetMinutes: Int16 = 0) {
        self.epochSeconds = epochSeconds
        self.nanoseconds = nanoseconds
        self.offsetMinutes = offsetMinutes
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        (lhs.epochSeconds, lhs.nanoseconds) < (rhs.epochSeconds, rhs.nanoseconds)
    }

    public var description: String {
        var out: [UInt8] = []
        out.reserveCapacity(35)
        append(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        switch Timestamp.parse(text) {
        case .success(let t): self = t
        case .failure(let reason):
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: reason.message))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}
