/// A shell-style wildcard over text: `*` matches any run of characters (none included), `?`
/// exactly one, anything else itself, ASCII letters without regard to case. Used by the rules'
/// `never_link` patterns, which a person writes and reads: no escapes, no classes.
///
/// For example: `Glob("*.example.*").matches("shop.example.com")` is true.
public struct Glob: Sendable, Equatable, Codable, CustomStringConvertible {
    public let pattern: String
    private let bytes: [UInt8]
    /// What every match starts and ends with, and its least length in bytes: most texts fail
    /// on these at once (a projection asks for every value it reads).
    private let prefix: [UInt8]
    private let suffix: [UInt8]
    /// Whether the pattern has `*` or `?` (without, it matches one text of its own length).
    let hasWildcard: Bool
    /// The pattern's length in bytes: the only length of text a pattern without wildcards matches.
    var byteCount: Int { bytes.count }
    private let minimumLength: Int

    public init(_ pattern: String) {
        self.pattern = pattern
        bytes = Array(pattern.utf8).map(Glob.folded)
        let wild: (UInt8) -> Bool = { $0 == UInt8(ascii: "*") || $0 == UInt8(ascii: "?") }
        hasWildcard = bytes.contains(where: wild)
        prefix = Array(bytes.prefix { !wild($0) })
        suffix = hasWildcard ? Array(bytes.reversed().prefix { !wild($0) }.reversed()) : []
        minimumLength = bytes.filter { $0 != UInt8(ascii: "*") }.count
    }

    public init(from decoder: any Decoder) throws {
        self.init(try decoder.singleValueContainer().decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(pattern)
    }

    public var description: String { pattern }

    public static func == (a: Glob, b: Glob) -> Bool { a.pattern == b.pattern }

    /// Whether the whole text matches (not a part of it).
    public func matches(_ text: some Collection<UInt8>) -> Bool {
        if !hasWildcard {
            return text.count == bytes.count && zip(text, bytes).allSatisfy { Glob.folded($0) == $1 }
        }
        // Each pattern byte but `*` takes at least one byte of text (`?` one character).
        guard text.count >= minimumLength,
            Glob.starts(text, with: prefix), Glob.ends(text, with: suffix)
        else { return false }
        return matchesWildcards(text)
    }

    private static func starts(_ text: some Collection<UInt8>, with literal: [UInt8]) -> Bool {
        guard text.count >= literal.count else { return false }
        return zip(text, literal).allSatisfy { folded($0) == $1 }
    }

    private static func ends(_ text: some Collection<UInt8>, with literal: [UInt8]) -> Bool {
        guard !literal.isEmpty else { return true }
        guard text.count >= literal.count else { return false }
        return zip(text.dropFirst(text.count - literal.count), literal).allSatisfy { folded($0) == $1 }
    }

    private func matchesWildcards(_ text: some Collection<UInt8>) -> Bool {
        // The classic linear matcher: on a mismatch, retry from just after the last star.
        var t = text.startIndex
        var p = 0
        var star: Int?
        var resume = text.startIndex
        while t != text.endIndex {
            let c = Glob.folded(text[t])
            if p < bytes.count && (bytes[p] == UInt8(ascii: "?") || bytes[p] == c) {
                if bytes[p] == UInt8(ascii: "?") {
                    t = Glob.nextCharacter(after: t, in: text)
                } else {
                    t = text.index(after: t)
                }
                p += 1
            } else if p < bytes.count && bytes[p] == UInt8(ascii: "*") {
                star = p
                p += 1
                resume = t
            } else if let s = star {
                p = s + 1
                resume = Glob.nextCharacter(after: resume, in: text)
                t = resume
            } else {
                return false
            }
        }
        while p < bytes.count && bytes[p] == UInt8(ascii: "*") { p += 1 }
        return p == bytes.count
    }

    public func matches(_ text: String) -> Bool { matches(text.utf8) }

    private static func folded(_ c: UInt8) -> UInt8 { c >= 0x41 && c <= 0x5A ? c + 0x20 : c }

    /// `?` is one character, not one byte: skip a UTF-8 sequence's continuation bytes.
    private static func nextCharacter<C: Collection<UInt8>>(after i: C.Index, in text: C) -> C.Index {
        var j = text.index(after: i)
        while j != text.endIndex && text[j] & 0xC0 == 0x80 { j = text.index(after: j) }
        return j
    }
}
