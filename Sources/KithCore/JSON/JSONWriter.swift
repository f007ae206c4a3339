/// Appends canonical JSON: strings escaped minimally (only `"`, `\` and control characters).
package enum JSONWriter {
    @inline(__always) package static func appendString<C: Collection<UInt8>>(_ s: C, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        appendEscaped(s, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    package static func appendString(_ s: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        if needsEscaping(s) {
            appendEscaped(s, to: &out)
        } else {
            out.append(contentsOf: s)
        }
        out.append(UInt8(ascii: "\""))
    }

    package static func appendString(_ s: [UInt8], to out: inout [UInt8]) {
        s.withUnsafeBufferPointer { appendString($0, to: &out) }
    }

    package static func appendString(_ s: String, to out: inout [UInt8]) {
        var s = s
        s.withUTF8 { appendString($0, to: &out) }
    }

    @inline(__always) package static func needsEscaping(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
        for c in s where c < 0x20 || c == UInt8(ascii: "\"") || c == UInt8(ascii: "\\") { return true }
        return false
    }

    package static func appendEscaped<C: Collection<UInt8>>(_ s: C, to out: inout [UInt8]) {
        let hex: [UInt8] = Array("0123456789abcdef".utf8)
        for c in s {
            switch c {
            case UInt8(ascii: "\""): out.append(0x5C); out.append(c)
            case UInt8(ascii: "\\"): out.append(0x5C); out.append(c)
            case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
            case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
            case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
            case 0..<0x20:
                out.append(contentsOf: Array(#"\u00"#.utf8))
                out.append(hex[Int(c >> 4)])
                out.append(hex[Int(c & 0xF)])
            default: out.append(c)
            }
        }
    }

    /// Copies a validated JSON value, dropping white space outside strings.
    package static func appendCompacted(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, to out: inout [UInt8])
    {
        var inString = false
        var i = range.lowerBound
        while i < range.upperBound {
            let c = bytes[i]
            if inString {
                out.append(c)
                if c == UInt8(ascii: "\\") {
                    out.append(bytes[i + 1])
                    i += 1
                } else if c == UInt8(ascii: "\"") {
                    inString = false
                }
            } else if c == UInt8(ascii: "\"") {
                inString = true
                out.append(c)
            } else if c != 0x20 && c != 0x09 && c != 0x0A && c != 0x0D {
                out.append(c)
            }
            i += 1
        }
    }
}
