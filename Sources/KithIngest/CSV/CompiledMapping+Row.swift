import KithCore

extension CompiledMapping {
    /// One record's cells, trimmed of surrounding white space, as bytes.
    struct Cells {
        let table: UnsafeBufferPointer<UInt8>
        let ranges: ArraySlice<Range<Int>>

        subscript(_ column: Int) -> UnsafeBufferPointer<UInt8> {
            guard column < ranges.count else { return UnsafeBufferPointer(rebasing: table[0..<0]) }
            var r = ranges[ranges.startIndex + column]
            while r.lowerBound < r.upperBound, isSpace(table[r.lowerBound]) { r = (r.lowerBound + 1)..<r.upperBound }
            while r.lowerBound < r.upperBound, isSpace(table[r.upperBound - 1]) {
                r = r.lowerBound..<(r.upperBound - 1)
            }
            return UnsafeBufferPointer(rebasing: table[r])
        }

        func text(_ column: Int) -> String { String(decoding: self[column], as: UTF8.self) }
    }

    func resolve(_ rule: ValueRule, _ cells: Cells, field: String) -> Result<String?, QuarantineReason> {
        if let fixed = rule.fixed { return .success(fixed) }
        guard let column = rule.column else { return .success(nil) }
        guard let values = rule.values else { return .success(cells.text(column)) }
        let cell = Array(cells[column])
        if let mapped = values[cell] { return .success(mapped) }  // a nil target skips the row
        if let d = rule.defaultValue { return .success(d) }
        return .failure(
            QuarantineReason(
                .schemaViolation, field: field,
                "column `\(rule.columnName ?? "")`: value '\(String(decoding: cell.prefix(60), as: UTF8.self))' "
                    + "is not in the mapping's values for \(field) (\(rule.knownValues))"))
    }

    /// Writes the record as a contract JSON line into `out` (cleared first).
    func build(
        _ row: CSVTable.Row, in table: CSVTable, storage: UnsafeBufferPointer<UInt8>, offsets: inout [Int64: Int],
        into out: inout [UInt8]
    ) -> RowResult {
        out.removeAll(keepingCapacity: true)
        if !UTF8Check.isValid(table.source, table.source.indices.clamped(to: row.raw)) {
            return .rejected(
                QuarantineReason(
                    .badEncoding, field: nil,
                    "the record is not valid UTF-8 (is the export GBK? convert it with iconv -f GBK -t UTF-8)"))
        }
        if row.fields.count != header.count {
            return .rejected(
                QuarantineReason(
                    .schemaViolation, field: nil,
                    "the record has \(row.fields.count) fields but the header has \(header.count)"))
        }
        let cells = Cells(table: storage, ranges: table.fieldRanges[row.fields])
        let typeName: String
        switch resolve(type, cells, field: "type") {
        case .failure(let r): return .rejected(r)
        case .success(nil): return .skipped
        case .success(let v?): typeName = v
        }
        let eventName: String
        switch resolve(name, cells, field: "name") {
        case .failure(let r): return .rejected(r)
        case .success(nil): return .skipped
        case .success(let v?): eventName = v
        }
        let occurred: Timestamp
        switch time.parse(cells[timeColumn], column: timeColumnName, cache: &offsets) {
        case .failure(let r): return .rejected(r)
        case .success(let t): occurred = t
        }
        out.append(contentsOf: #"{"event_id":"#.utf8)
        if let column = eventIDColumn {
            JSONWriter.appendString(cells[column], to: &out)
        } else if let parts = eventIDTemplate {
            var id: [UInt8] = []
            for part in parts {
                switch part {
                case .literal(let bytes): id.append(contentsOf: bytes)
                case .column(let c): id.append(contentsOf: cells[c])
                }
            }
            JSONWriter.appendString(id, to: &out)
        } else {
            // No id column: the row's own bytes identify it, so re-ingesting the export adds nothing.
            let key = table.source.withUnsafeBufferPointer {
                EventKey(hashing: UnsafeBufferPointer(rebasing: $0[row.raw]))
            }
            JSONWriter.appendString("row-" + String(key.high, radix: 16) + String(key.low, radix: 16), to: &out)
        }
        out.append(contentsOf: #","source":"#.utf8)
        JSONWriter.appendString(source, to: &out)
        out.append(contentsOf: #","type":"#.utf8)
        JSONWriter.appendString(typeName, to: &out)
        out.append(contentsOf: #","name":"#.utf8)
        JSONWriter.appendString(eventName, to: &out)
        out.append(contentsOf: #","occurred_at":""#.utf8)
        occurred.append(to: &out)
        out.append(contentsOf: #"","identifiers":"#.utf8)
        if let problem = appendObject(identifiers, cells, typed: false, to: &out) { return .rejected(problem) }
        if let traits {
            out.append(contentsOf: #","traits":"#.utf8)
            if let problem = appendObject(traits, cells, typed: true, to: &out) { return .rejected(problem) }
        }
        if let properties {
            out.append(contentsOf: #","properties":"#.utf8)
            if let problem = appendObject(properties, cells, typed: true, to: &out) { return .rejected(problem) }
        }
        out.append(UInt8(ascii: "}"))
        return .line
    }

    /// Writes `{key: value, …}` in key order; empty cells are left out.
    func appendObject(_ fields: [Field], _ cells: Cells, typed: Bool, to out: inout [UInt8]) -> QuarantineReason? {
        out.append(UInt8(ascii: "{"))
        var first = true
        for field in fields {
            let problem: QuarantineReason?
            if let fixed = field.fixed {
                problem = fixed.withUnsafeBufferPointer { append(field, $0, typed: typed, first: &first, to: &out) }
            } else if let column = field.column {
                problem = append(field, cells[column], typed: typed, first: &first, to: &out)
            } else {
                continue
            }
            if let problem { return problem }
        }
        out.append(UInt8(ascii: "}"))
        return nil
    }

    private func append(
        _ field: Field, _ value: UnsafeBufferPointer<UInt8>, typed: Bool, first: inout Bool, to out: inout [UInt8]
    ) -> QuarantineReason? {
        do {
            if value.isEmpty { return nil }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            out.append(contentsOf: field.jsonKey)
            switch typed ? field.type : .string {
            case .string:
                JSONWriter.appendString(value, to: &out)
            case .decimal:
                // Exports write money as 1,280.00 or ¥1280: keep the digits, exactly.
                var cleaned: [UInt8] = []
                var i = 0
                while i < value.count {
                    let c = value[i]
                    if c == UInt8(ascii: ",") {
                        i += 1
                    } else if c == 0xC2 && i + 1 < value.count && value[i + 1] == 0xA5 {
                        i += 2  // ¥
                    } else if c == 0xEF && i + 2 < value.count && value[i + 1] == 0xBF && value[i + 2] == 0xA5 {
                        i += 3  // ￥
                    } else {
                        cleaned.append(c)
                        i += 1
                    }
                }
                JSONWriter.appendString(cleaned, to: &out)
            case .integer:
                let text = String(decoding: value, as: UTF8.self)
                guard let n = Int64(text) else {
                    return QuarantineReason(
                        .schemaViolation, field: field.key,
                        "column `\(field.columnName ?? field.key)`: '\(text.prefix(40))' is not a whole number")
                }
                out.append(contentsOf: String(n).utf8)
            case .boolean:
                switch String(decoding: value, as: UTF8.self).lowercased() {
                case "true", "1", "yes", "y", "是": out.append(contentsOf: "true".utf8)
                case "false", "0", "no", "n", "否": out.append(contentsOf: "false".utf8)
                case let other:
                    return QuarantineReason(
                        .schemaViolation, field: field.key,
                        "column `\(field.columnName ?? field.key)`: '\(other.prefix(40))' is not a boolean")
                }
            }
        }
        return nil
    }
}

@inline(__always) func isSpace(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0A }

/// UTF-8 validity of a byte range (no overlongs, no surrogates, ≤ U+10FFFF).
enum UTF8Check {
    static func isValid(_ bytes: [UInt8], _ range: Range<Int>) -> Bool {
        bytes.withUnsafeBufferPointer { b in
            var i = range.lowerBound
            let n = range.upperBound
            while i < n {
                let c = b[i]
                if c < 0x80 {
                    i += 1
                    continue
                }
                func cont(_ k: Int) -> Bool { k < n && b[k] & 0xC0 == 0x80 }
                switch c {
                case 0xC2...0xDF:
                    guard cont(i + 1) else { return false }
                    i += 2
                case 0xE0...0xEF:
                    guard cont(i + 1), cont(i + 2) else { return false }
                    if c == 0xE0 && b[i + 1] < 0xA0 { return false }
                    if c == 0xED && b[i + 1] >= 0xA0 { return false }
                    i += 3
                case 0xF0...0xF4:
                    guard cont(i + 1), cont(i + 2), cont(i + 3) else { return false }
                    if c == 0xF0 && b[i + 1] < 0x90 { return false }
                    if c == 0xF4 && b[i + 1] >= 0x90 { return false }
                    i += 4
                default:
                    return false
                }
            }
            return true
        }
    }
}
