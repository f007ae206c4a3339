/// The names a value's events carried, as the two smallest hashes of their normalised forms and
/// whether there were more: enough to tell "one person" from "different people" without keeping
/// any name, and the same whatever order the events came in.
///
/// For example: after `add(name: "李伟")` and `add(name: " 李 伟 ")` a value has one name;
/// after `add(name: "王芳")` too, it has two and `isConflicted` is true.
public struct NameEvidence: Sendable, Hashable {
    /// The smallest hash seen (0: none).
    public private(set) var first: UInt32 = 0
    /// The second smallest (0: at most one name).
    public private(set) var second: UInt32 = 0
    /// More than two different names were seen.
    public private(set) var more = false

    public init() {}

    public var isEmpty: Bool { first == 0 }
    /// Two or more clearly different names.
    public var isConflicted: Bool { second != 0 }

    public mutating func add(name: String) {
        if let h = NameEvidence.hash(of: name) { add(hash: h) }
    }

    mutating func add(hash h: UInt32) {
        if h == first || h == second { return }
        if first == 0 {
            first = h
        } else if h < first {
            if second != 0 { more = true }
            (first, second) = (h, first)
        } else if second == 0 {
            second = h
        } else {
            more = true
            if h < second { second = h }
        }
    }

    public mutating func formUnion(_ other: NameEvidence) {
        if other.first != 0 { add(hash: other.first) }
        if other.second != 0 { add(hash: other.second) }
        if other.more { more = true }
    }

    /// Whether the two carry names and share none. Undecided (false) when either saw more names
    /// than it keeps: such a value is contested by its own events already.
    public func conflicts(with other: NameEvidence) -> Bool {
        guard !isEmpty, !other.isEmpty, !more, !other.more else { return false }
        // `first` is set (not empty); `second` may be 0, which matches nothing stored.
        if first == other.first || first == other.second { return false }
        return second == 0 || (second != other.first && second != other.second)
    }

    /// The stored form: first in the high 32 bits, second shifted left by one, `more` in bit 0.
    public var packed: Int64 {
        Int64(bitPattern: UInt64(first) << 32 | UInt64(second) << 1 | (more ? 1 : 0))
    }

    public init(packed: Int64) {
        let bits = UInt64(bitPattern: packed)
        first = UInt32(truncatingIfNeeded: bits >> 32)
        second = UInt32(truncatingIfNeeded: bits >> 1) & 0x7FFF_FFFF
        more = bits & 1 == 1
    }

    /// A name's hash after normalising what spelling varies without changing the person: white
    /// space, middle dots and full stops (`Li Wei`, `li.wei`, `李 伟`), letter case. An empty
    /// name has none. 31 bits, never 0 (FNV-1a).
    public static func hash(of name: String) -> UInt32? {
        var h: UInt32 = 2_166_136_261
        var any = false
        func mix(_ scalar: Unicode.Scalar) {
            UTF8.encode(scalar) { h = (h ^ UInt32($0)) &* 16_777_619 }
        }
        // Per scalar, without a lowercased copy of the name: this runs for every event a
        // projection reads (ASCII is folded by hand; other scalars only when they have case).
        for scalar in name.unicodeScalars {
            let v = scalar.value
            if v < 0x80 {
                if v == 0x20 || (v >= 0x09 && v <= 0x0D) || isIgnored(v) { continue }
                any = true
                mix(v >= 0x41 && v <= 0x5A ? Unicode.Scalar(UInt8(v + 0x20)) : scalar)
                continue
            }
            if scalar.properties.isWhitespace || isIgnored(v) { continue }
            any = true
            if scalar.properties.changesWhenLowercased {
                for lower in scalar.properties.lowercaseMapping.unicodeScalars { mix(lower) }
            } else {
                mix(scalar)
            }
        }
        guard any else { return nil }
        let folded = h & 0x7FFF_FFFF
        return folded == 0 ? 1 : folded
    }

    /// `.`, `·` (U+00B7), `・` (U+30FB), `•` (U+2022), `-`, `_` (a switch, not a set: this runs
    /// for every character of every name a projection reads).
    private static func isIgnored(_ v: UInt32) -> Bool {
        switch v {
        case 0x2E, 0xB7, 0x30FB, 0x2022, 0x2D, 0x5F: true
        default: false
        }
    }
}
