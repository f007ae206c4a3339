/// One CSV record: its fields, its original bytes (for the quarantine) and its first line number.
struct CSVRecord: Sendable {
    var fields: [String]
    var raw: [UInt8]
    var line: Int
    var invalidUTF8: Bool
}

/// An RFC 4180 reader over a byte stream: quoted fields with embedded delimiters, quotes (`""`)
/// and newlines; `\r\n` or `\n` line ends; a UTF-8 BOM at the start is dropped.
final class CSVReader {
    private let source: any ByteSource
    private let delimiter: UInt8
    private var buffer = [UInt8](repeating: 0, count: 1 << 20)
    private var position = 0
    private var length = 0
    private var atEnd = false
    private var line = 1
    private var first = true

    init(_ source: any ByteSource, delimiter: UInt8 = UInt8(ascii: ",")) {
        self.source = source
        self.delimiter = delimiter
    }

    var consumed: Int { source.consumed }

    private func nextByte() throws -> UInt8? {
        if position == length {
            if atEnd { return nil }
            length = try buffer.withUnsafeMutableBytes { try source.read(into: $0) }
            position = 0
            if length == 0 {
                atEnd = true
                return nil
            }
        }
        let b = buffer[position]
        position += 1
        return b
    }

    private func peekByte() throws -> UInt8? {
        guard let b = try nextByte() else { return nil }
        position -= 1
        return b
    }

    /// The next record, or nil at the end. Blank lines are skipped.
    func next() throws -> CSVRecord? {
        while true {
            if first {
                first = false
                if try peekByte() == 0xEF {
                    var bom: [UInt8] = []
                    for _ in 0..<3 { if let b = try nextByte() { bom.append(b) } }
                    if bom != [0xEF, 0xBB, 0xBF] { position -= bom.count }  // not a BOM after all
                }
            }
            let startLine = line
            var raw: [UInt8] = []
            var fields: [[UInt8]] = []
            var field: [UInt8] = []
            var inQuotes = false
            var sawAny = false
            loop: while let b = try nextByte() {
                sawAny = true
                if inQuotes {
                    if b == UInt8(ascii: "\"") {
                        if try peekByte() == UInt8(ascii: "\"") {
                            _ = try nextByte()
                            raw.append(b)
                            raw.append(b)
                            field.append(b)
                            continue
                        }
                        inQuotes = false
                        raw.append(b)
                        continue
                    }
                    if b == 0x0A { line += 1 }
                    raw.append(b)
                    field.append(b)
                    continue
                }
                switch b {
                case UInt8(ascii: "\""):
                    inQuotes = true
                    raw.append(b)
                case delimiter:
                    fields.append(field)
                    field = []
                    raw.append(b)
                case 0x0A:
                    line += 1
                    break loop
                case 0x0D:
                    if try peekByte() == 0x0A { continue }
                    raw.append(b)
                    field.append(b)
                default:
                    raw.append(b)
                    field.append(b)
                }
            }
            if !sawAny { return nil }
            fields.append(field)
            if raw.isEmpty { continue }  // blank line
            var invalid = false
            let strings = fields.map { bytes -> String in
                if let s = String(validating: bytes, as: UTF8.self) { return s }
                invalid = true
                return String(decoding: bytes, as: UTF8.self)
            }
            return CSVRecord(fields: strings, raw: raw, line: startLine, invalidUTF8: invalid)
        }
    }
}
