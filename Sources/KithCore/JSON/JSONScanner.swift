/// A byte-level JSON scanner over one line. It validates as it goes and hands back byte ranges,
/// so the hot path copies bytes instead of building Strings. `JSONDecoder` is its test oracle.
package struct JSONScanner {
    package struct SyntaxError: Error {
        package var offset: Int
        package var message: String
        package var isEncoding: Bool = false
    }

    package struct StringToken {
        /// The bytes between the quotes, still escaped.
        package var range: Range<Int>
        package var hasEscapes: Bool
    }

    package static let maximumDepth = 64

    package let bytes: UnsafeBufferPointer<UInt8>
    package var index: Int

    package init(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int = 0) {
        self.bytes = bytes
        self.index = index
    }

    @inline(__always) package var atEnd: Bool { index >= bytes.count }

    @inline(__always) package var peek: UInt8 { index < bytes.count ? bytes[index] : 0 }

    @inline(__always) package mutating func skipWhitespace() {
        while index < bytes.count {
            let c = bytes[index]
            if c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D { index += 1 } else { return }
        }
    }

    package mutating func expect(_ c: UInt8, _ what: String) throws(SyntaxError) {
        skipWhitespace()
        guard index < bytes.count, bytes[index] == c else { throw error("expected \(what)") }
        index += 1
    }

    package func error(_ expected: String) -> SyntaxError {
        if index >= bytes.count { return SyntaxError(offset: index, message: "\(expected) but the line ended") }
        let c = bytes[index]
        let found = c >= 0x20 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : String(format2: c)
        return SyntaxError(offset: index, message: "\(expected) at column \(index + 1), found \(found)")
    }

    /// Scans a string starting at the opening quote.
    package mutating func scanString() throws(SyntaxError) -> StringToken {
        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a string") }
        index += 1
        let start = index
        var escapes = false
        let n = bytes.count
        while index < n {
            skipPlainWords()
            guard index < n else { break }
            let c = bytes[index]
            if c == UInt8(ascii: "\"") {
                let token = StringToken(range: start..<index, hasEscapes: escapes)
                index += 1
                return token
            } else if c == UInt8(ascii: "\\") {
                escapes = true
                index += 1
                guard index < n else { break }
                switch bytes[index] {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                    UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    index += 1
                case UInt8(ascii: "u"):
                    let unit = try hex4(at: index + 1)
                    index += 5
                    if unit >= 0xD800 && unit < 0xDC00 {
                        guard index + 1 < n, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                        else {
                            throw SyntaxError(
                                offset: index, message: "unpaired UTF-16 surrogate escape at column \(index)")
                        }
                        let low = try hex4(at: index + 2)
                        guard low >= 0xDC00 && low < 0xE000 else {
                            throw SyntaxError(
                                offset: index, message: "unpaired UTF-16 surrogate escape at column \(index)")
                        }
                        index += 6
                    } else if unit >= 0xDC00 && unit < 0xE000 {
                        throw SyntaxError(offset: index, message: "unpaired UTF-16 surrogate escape at column \(index)")
                    }
                default:
                    throw error("expected a valid escape after '\\'")
                }
            } else if c < 0x20 {
                throw SyntaxError(
                    offset: index, message: "control character in a string at column \(index + 1) (escape it)")
            } else if c < 0x80 {
                index += 1
            } else {
                try skipUTF8Sequence()
            }
        }
        throw SyntaxError(offset: index, message: "unterminated string (the line ended inside it)")
    }

    /// Skips plain bytes eight at a time, up to the first quote, backslash, control character
    /// or byte above ASCII (or the last few bytes of the line): the loop in `scanString` then
    /// looks at no plain byte one by one.
    @inline(__always) private mutating func skipPlainWords() {
        guard let base = bytes.baseAddress else { return }
        let ones: UInt64 = 0x0101_0101_0101_0101
        let high: UInt64 = 0x8080_8080_8080_8080
        while index + 8 <= bytes.count {
            let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self).littleEndian
            // A byte's high bit ends up set where it is zero after the XOR (a quote or a
            // backslash), below 0x20, or at or above 0x80. A borrow can only mark bytes above a
            // byte that is marked already, so the word is plain exactly when nothing is marked.
            let quote = word ^ (ones &* 0x22)
            let backslash = word ^ (ones &* 0x5C)
            let marked =
                ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
                | word
            guard marked & high == 0 else {
                // The lowest marked byte is a real one: the first of them in the line.
                index += (marked & high).trailingZeroBitCount / 8
                return
            }
            index += 8
        }
    }

    private func hex4(at i: Int) throws(SyntaxError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw SyntaxError(offset: i, message: "truncated \\u escape") }
        var v: UInt32 = 0
        for k in i..<(i + 4) {
            let c = bytes[k]
            let d: UInt8
            switch c {
            case 0x30...0x39: d = c - 0x30
            case 0x41...0x46: d = c - 0x41 + 10
            case 0x61...0x66: d = c - 0x61 + 10
            default: throw SyntaxError(offset: k, message: "invalid hex digit in \\u escape at column \(k + 1)")
            }
            v = v << 4 | UInt32(d)
        }
        return v
    }

    /// Validates one UTF-8 sequence (no overlongs, no surrogates, ≤ U+10FFFF).
    private mutating func skipUTF8Sequence() throws(SyntaxError) {
        let n = bytes.count
        let c0 = bytes[index]
        func bad() -> SyntaxError {
            SyntaxError(offset: index, message: "invalid UTF-8 at byte \(index + 1)", isEncoding: true)
        }
        @inline(__always) func cont(_ k: Int) -> Bool { k < n && bytes[k] & 0xC0 == 0x80 }
        switch c0 {
        case 0xC2...0xDF:
            guard cont(index + 1) else { throw bad() }
            index += 2
        case 0xE0...0xEF:
            guard cont(index + 1), cont(index + 2) else { throw bad() }
            let c1 = bytes[index + 1]
            if c0 == 0xE0 && c1 < 0xA0 { throw bad() }
            if c0 == 0xED && c1 >= 0xA0 { throw bad() }
            index += 3
        case 0xF0...0xF4:
            guard cont(index + 1), cont(index + 2), cont(index + 3) else { throw bad() }
            let c1 = bytes[index + 1]
            if c0 == 0xF0 && c1 < 0x90 { throw bad() }
            if c0 == 0xF4 && c1 >= 0x90 { throw bad() }
            index += 4
        default:
            throw bad()
        }
    }

    /// Scans a JSON number and returns its text range.
    package mutating func scanNumber() throws(SyntaxError) -> Range<Int> {
        let start = index
        let n = bytes.count
        if index < n, bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < n, bytes[index] >= 0x30, bytes[index] <= 0x39 else { throw error("expected a digit") }
        if bytes[index] == 0x30 {
            index += 1
        } else {
            while index < n, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        }
        if index < n, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < n, bytes[index] >= 0x30, bytes[index] <= 0x39 else {
                throw error("expected a digit after '.'")
            }
            while index < n, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        }
        if index < n, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < n, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < n, bytes[index] >= 0x30, bytes[index] <= 0x39 else { throw error("expected exponent digits") }
            while index < n, bytes[index] >= 0x30, bytes[index] <= 0x39 { index += 1 }
        }
        return start..<index
    }

    /// Validates any JSON value and returns its range.
    package mutating func skipValue(depth: Int = 0) throws(SyntaxError) -> Range<Int> {
        skipWhitespace()
        let start = index
        guard index < bytes.count else { throw error("expected a value") }
        switch bytes[index] {
        case UInt8(ascii: "\""):
            _ = try scanString()
        case UInt8(ascii: "{"):
            guard depth < JSONScanner.maximumDepth else {
                throw SyntaxError(offset: index, message: "nested deeper than \(JSONScanner.maximumDepth) levels")
            }
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "}") {
                index += 1
            } else {
                while true {
                    skipWhitespace()
                    _ = try scanString()
                    try expect(UInt8(ascii: ":"), "':'")
                    _ = try skipValue(depth: depth + 1)
                    skipWhitespace()
                    if peek == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    try expect(UInt8(ascii: "}"), "',' or '}'")
                    break
                }
            }
        case UInt8(ascii: "["):
            guard depth < JSONScanner.maximumDepth else {
                throw SyntaxError(offset: index, message: "nested deeper than \(JSONScanner.maximumDepth) levels")
            }
            index += 1
            skipWhitespace()
            if peek == UInt8(ascii: "]") {
                index += 1
            } else {
                while true {
                    _ = try skipValue(depth: depth + 1)
                    skipWhitespace()
                    if peek == UInt8(ascii: ",") {
                        index += 1
                        continue
                    }
                    try expect(UInt8(ascii: "]"), "',' or ']'")
                    break
                }
            }
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        default:
            _ = try scanNumber()
        }
        return start..<index
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw error("expected \(word)") }
        let p = word.utf8Start
        for k in 0..<count where bytes[index + k] != p[k] { throw error("expected \(word)") }
        index += count
    }

    /// Decodes an escaped string body into UTF-8 bytes.
    package func decode(_ token: StringToken, into out: inout [UInt8]) {
        guard token.hasEscapes else {
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[token.range]))
            return
        }
        var i = token.range.lowerBound
        let end = token.range.upperBound
        while i < end {
            let c = bytes[i]
            guard c == UInt8(ascii: "\\") else {
                out.append(c)
                i += 1
                continue
            }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = (try? hex4(at: i)) ?? 0xFFFD
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    let low = (try? hex4(at: i + 2)) ?? 0xDC00
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                }
                appendUTF8(scalar, to: &out)
            default: out.append(e)
            }
        }
    }

    package func string(_ token: StringToken) -> String {
        if !token.hasEscapes {
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[token.range]), as: UTF8.self)
        }
        var out: [UInt8] = []
        decode(token, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Compares a string token with an ASCII key without decoding.
    @inline(__always) package func token(_ token: StringToken, equals key: StaticString) -> Bool {
        let count = key.utf8CodeUnitCount
        guard !token.hasEscapes, token.range.count == count else { return false }
        let p = key.utf8Start
        var k = 0
        var i = token.range.lowerBound
        while k < count {
            if bytes[i] != p[k] { return false }
            k += 1
            i += 1
        }
        return true
    }
}

@inline(__always) package func appendUTF8(_ scalar: UInt32, to out: inout [UInt8]) {
    switch scalar {
    case 0..<0x80: out.append(UInt8(scalar))
    case 0x80..<0x800:
        out.append(UInt8(0xC0 | (scalar >> 6)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    case 0x800..<0x10000:
        out.append(UInt8(0xE0 | (scalar >> 12)))
        out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    default:
        out.append(UInt8(0xF0 | (scalar >> 18)))
        out.append(UInt8(0x80 | ((scalar >> 12) & 0x3F)))
        out.append(UInt8(0x80 | ((scalar >> 6) & 0x3F)))
        out.append(UInt8(0x80 | (scalar & 0x3F)))
    }
}

extension String {
    init(format2 byte: UInt8) {
        let hex = Array("0123456789ABCDEF")
        self = "byte 0x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
    }
}
