import NIOCore

/// The fields of a `COPY … FROM STDIN` line in text form: tab between fields, a newline after
/// the last, `\N` for NULL, and in text a backslash, tab, newline or carriage return escaped
/// with a backslash (PostgreSQL's COPY text format).
enum PostgresCopyText {
    static func integer(_ value: Int64, _ buffer: inout ByteBuffer) {
        if value < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        var magnitude = value.magnitude
        // At most 20 digits, written from the last.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { room in
            var at = room.count
            repeat {
                at -= 1
                room[at] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            buffer.writeBytes(UnsafeBufferPointer(rebasing: room[at...]))
        }
    }

    static func integer(_ value: Int64?, _ buffer: inout ByteBuffer) {
        guard let value else { return null(&buffer) }
        integer(value, &buffer)
    }

    static func boolean(_ value: Bool, _ buffer: inout ByteBuffer) {
        buffer.writeInteger(value ? UInt8(ascii: "t") : UInt8(ascii: "f"))
    }

    static func text(_ value: String, _ buffer: inout ByteBuffer) {
        var value = value
        value.withUTF8 { bytes in
            // Most text needs no escape: write it whole.
            guard bytes.contains(where: { $0 == 0x5C || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }) else {
                buffer.writeBytes(bytes)
                return
            }
            for byte in bytes {
                switch byte {
                case 0x5C: buffer.writeStaticString("\\\\")
                case 0x09: buffer.writeStaticString("\\t")
                case 0x0A: buffer.writeStaticString("\\n")
                case 0x0D: buffer.writeStaticString("\\r")
                default: buffer.writeInteger(byte)
                }
            }
        }
    }

    static func text(_ value: String?, _ buffer: inout ByteBuffer) {
        guard let value else { return null(&buffer) }
        text(value, &buffer)
    }

    /// `bytea` in its hex form, `\x…`, with the backslash escaped for COPY.
    static func bytes(_ value: some Collection<UInt8>, _ buffer: inout ByteBuffer) {
        buffer.writeStaticString("\\\\x")
        let hex: StaticString = "0123456789abcdef"
        hex.withUTF8Buffer { digits in
            for byte in value {
                buffer.writeInteger(digits[Int(byte >> 4)])
                buffer.writeInteger(digits[Int(byte & 0x0F)])
            }
        }
    }

    static func null(_ buffer: inout ByteBuffer) { buffer.writeStaticString("\\N") }

    /// Between two fields.
    static func tab(_ buffer: inout ByteBuffer) { buffer.writeInteger(UInt8(ascii: "\t")) }

    /// After the last field.
    static func end(_ buffer: inout ByteBuffer) { buffer.writeInteger(UInt8(ascii: "\n")) }
}
