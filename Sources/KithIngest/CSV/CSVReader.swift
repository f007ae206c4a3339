/// The records of one chunk of a CSV export (RFC 4180: quoted fields with embedded delimiters,
/// doubled quotes and newlines; `\r\n` or `\n`). Field contents are unescaped into one storage
/// buffer and addressed by ranges, so a record costs no allocation of its own.
struct CSVTable: Sendable {
    struct Row: Sendable {
        /// Indexes into `fieldRanges`.
        var fields: Range<Int>
        /// The record's original bytes in `source` (without its line end).
        var raw: Range<Int>
        var line: Int
    }

    var source: [UInt8]
    var storage: [UInt8] = []
    var fieldRanges: [Range<Int>] = []
    var rows: [Row] = []

    func raw(_ row: Row) -> [UInt8] { Array(source[row.raw]) }

    /// The text of field `index` of `row` (for headers and messages).
    func string(_ row: Row, _ index: Int) -> String {
        guard index < row.fields.count else { return "" }
        return String(decoding: storage[fieldRanges[row.fields.lowerBound + index]], as: UTF8.self)
    }

    static func parse(_ chunk: LineChunk, delimiter: UInt8) -> CSVTable {
        var table = CSVTable(source: chunk.bytes)
        table.storage.reserveCapacity(chunk.bytes.count)
        table.fieldRanges.reserveCapacity(chunk.bytes.count / 8)
        var line = chunk.firstLine
        chunk.bytes.withUnsafeBufferPointer { b in
            let n = b.count
            var i = 0
            while i < n {
                let rowStart = i
                let rowLine = line
                if b[i] == 0x0A || (b[i] == 0x0D && i + 1 < n && b[i + 1] == 0x0A) {
                    i += b[i] == 0x0D ? 2 : 1
                    line += 1
                    continue  // blank line
                }
                let firstField = table.fieldRanges.count
                var rowEnd = n
                fields: while true {
                    let start = table.storage.count
                    if i < n && b[i] == UInt8(ascii: "\"") {
                        i += 1
                        while i < n {
                            let c = b[i]
                            if c == UInt8(ascii: "\"") {
                                if i + 1 < n && b[i + 1] == UInt8(ascii: "\"") {
                                    table.storage.append(c)
                                    i += 2
                                    continue
                                }
                                i += 1
                                break
                            }
                            if c == 0x0A { line += 1 }
                            table.storage.append(c)
                            i += 1
                        }
                    }
                    // Unquoted text (or text after a closing quote, kept as it is).
                    var j = i
                    while j < n, b[j] != delimiter, b[j] != 0x0A { j += 1 }
                    var end = j
                    if end > i && j < n && b[j] == 0x0A && b[end - 1] == 0x0D { end -= 1 }
                    if end == n, end > i, b[end - 1] == 0x0D { end -= 1 }
                    if end > i { table.storage.append(contentsOf: UnsafeBufferPointer(rebasing: b[i..<end])) }
                    table.fieldRanges.append(start..<table.storage.count)
                    i = j
                    if i < n && b[i] == delimiter {
                        i += 1
                        continue fields
                    }
                    rowEnd = end
                    if i < n {
                        i += 1  // the newline
                        line += 1
                    }
                    break
                }
                table.rows.append(
                    Row(fields: firstField..<table.fieldRanges.count, raw: rowStart..<rowEnd, line: rowLine))
            }
        }
        return table
    }
}
