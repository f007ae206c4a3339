import KithCore

/// A mapping bound to one CSV header: column names resolved to indexes, the time format
/// compiled. It turns a record into a canonical-contract JSON line, which then goes through the
/// same `EventLineParser` as NDJSON, so both paths obey one set of rules.
struct CompiledMapping: Sendable {
    enum RowResult {
        case line([UInt8])
        case skipped
        case rejected(QuarantineReason)
    }

    let mapping: Mapping
    let header: [String]
    let index: [String: Int]
    let time: LocalTimeFormat
    let source: String

    init(_ mapping: Mapping, header: [String], sourceOverride: String?) throws {
        self.mapping = mapping
        self.header = header
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() where index[name] == nil {
            index[name.trimmingWhitespace()] = i
        }
        self.index = index
        let missing = mapping.columns.filter { index[$0] == nil }
        if !missing.isEmpty {
            let uniqueMissing = Array(Set(missing)).sorted()
            throw IngestError(
                .badMapping,
                "the mapping names column(s) \(uniqueMissing.map { "`\($0)`" }.joined(separator: ", ")) "
                    + "that the header does not have (header: \(header.prefix(40).joined(separator: ", ")))")
        }
        time = try LocalTimeFormat(format: mapping.occurredAt.format, timeZone: mapping.occurredAt.timeZone)
        source = sourceOverride ?? mapping.source
    }

    func cell(_ record: CSVRecord, _ column: String) -> String {
        guard let i = index[column], i < record.fields.count else { return "" }
        return record.fields[i].trimmingWhitespace()
    }

    func resolve(_ rule: Mapping.ValueRule, _ record: CSVRecord, field: String) -> Result<String?, QuarantineReason> {
        if let fixed = rule.fixed { return .success(fixed) }
        guard let column = rule.column else { return .success(nil) }
        let value = cell(record, column)
        guard let values = rule.values else { return .success(value) }
        if let mapped = values[value] { return .success(mapped) }  // nil target: skip the row
        if let d = rule.defaultValue { return .success(d) }
        return .failure(
            QuarantineReason(
                .schemaViolation, field: field,
                "column `\(column)`: value '\(value.prefix(40))' is not in the mapping's values for \(field) "
                    + "(\(values.keys.sorted().prefix(10).joined(separator: ", ")))"))
    }

    func build(_ record: CSVRecord) -> RowResult {
        if record.invalidUTF8 {
            return .rejected(
                QuarantineReason(
                    .badEncoding, field: nil,
                    "the record is not valid UTF-8 (is the export GBK? convert it with iconv -f GBK -t UTF-8)"))
        }
        if record.fields.count != header.count {
            return .rejected(
                QuarantineReason(
                    .schemaViolation, field: nil,
                    "the record has \(record.fields.count) fields but the header has \(header.count)"))
        }
        let type: String
        switch resolve(mapping.type, record, field: "type") {
        case .failure(let r): return .rejected(r)
        case .success(nil): return .skipped
        case .success(let v?): type = v
        }
        let name: String
        switch resolve(mapping.name, record, field: "name") {
        case .failure(let r): return .rejected(r)
        case .success(nil): return .skipped
        case .success(let v?): name = v
        }
        let occurred: Timestamp
        switch time.parse(cell(record, mapping.occurredAt.column), column: mapping.occurredAt.column) {
        case .failure(let r): return .rejected(r)
        case .success(let t): occurred = t
        }

        var out: [UInt8] = []
        out.reserveCapacity(record.raw.count + 200)
        out.append(contentsOf: #"{"event_id":"#.utf8)
        JSONWriter.appendString(eventID(record), to: &out)
        out.append(contentsOf: #","source":"#.utf8)
        JSONWriter.appendString(source, to: &out)
        out.append(contentsOf: #","type":"#.utf8)
        JSONWriter.appendString(type, to: &out)
        out.append(contentsOf: #","name":"#.utf8)
        JSONWriter.appendString(name, to: &out)
        out.append(contentsOf: #","occurred_at":""#.utf8)
        occurred.append(to: &out)
        out.append(contentsOf: #"","identifiers":"#.utf8)
        if let problem = appendObject(mapping.identifiers, record, typed: false, to: &out) { return .rejected(problem) }
        if let traits = mapping.traits {
            out.append(contentsOf: #","traits":"#.utf8)
            if let problem = appendObject(traits, record, typed: true, to: &out) { return .rejected(problem) }
        }
        if let properties = mapping.properties {
            out.append(contentsOf: #","properties":"#.utf8)
            if let problem = appendObject(properties, record, typed: true, to: &out) { return .rejected(problem) }
        }
        out.append(UInt8(ascii: "}"))
        return .line(out)
    }

    func eventID(_ record: CSVRecord) -> String {
        if let column = mapping.eventID?.column { return cell(record, column) }
        if let template = mapping.eventID?.template {
            var result = template
            for name in Mapping.placeholders(in: template) {
                result = result.replacingOccurrences(of: "{\(name)}", with: cell(record, name))
            }
            return result
        }
        // No id column: the row's own bytes identify it, so re-ingesting the export adds nothing.
        let key = record.raw.withUnsafeBufferPointer { EventKey(hashing: $0) }
        return "row-" + String(key.high, radix: 16) + String(key.low, radix: 16)
    }

    /// Writes `{key: value, …}` in key order (deterministic output); empty cells are left out.
    func appendObject(_ rules: [String: Mapping.FieldRule], _ record: CSVRecord, typed: Bool, to out: inout [UInt8])
        -> QuarantineReason?
    {
        out.append(UInt8(ascii: "{"))
        var first = true
        for key in rules.keys.sorted() {
            let rule = rules[key]!
            let value = rule.value ?? rule.column.map { cell(record, $0) } ?? ""
            if value.isEmpty { continue }
            if !first { out.append(UInt8(ascii: ",")) }
            first = false
            JSONWriter.appendString(key, to: &out)
            out.append(UInt8(ascii: ":"))
            switch typed ? (rule.type ?? .string) : .string {
            case .string:
                JSONWriter.appendString(value, to: &out)
            case .decimal:
                let cleaned = value.filter { $0 != "," && $0 != "¥" && $0 != "￥" }
                JSONWriter.appendString(cleaned, to: &out)
            case .integer:
                guard let n = Int64(value) else {
                    return QuarantineReason(
                        .schemaViolation, field: key,
                        "column `\(rule.column ?? key)`: '\(value.prefix(40))' is not a whole number")
                }
                out.append(contentsOf: String(n).utf8)
            case .boolean:
                switch value.lowercased() {
                case "true", "1", "yes", "y", "是": out.append(contentsOf: "true".utf8)
                case "false", "0", "no", "n", "否": out.append(contentsOf: "false".utf8)
                default:
                    return QuarantineReason(
                        .schemaViolation, field: key, "column `\(rule.column ?? key)`: '\(value.prefix(40))' is not a boolean")
                }
            }
        }
        out.append(UInt8(ascii: "}"))
        return nil
    }

    /// The CSV column behind a contract field, to name it in reasons.
    func column(forField field: String?) -> String? {
        guard let field else { return nil }
        if field == "occurred_at" { return mapping.occurredAt.column }
        if field == "event_id" { return mapping.eventID?.column }
        let parts = field.split(separator: ".", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { return nil }
        switch parts[0] {
        case "identifiers": return mapping.identifiers[parts[1]]?.column
        case "traits": return mapping.traits?[parts[1]]?.column
        case "properties": return mapping.properties?[parts[1]]?.column
        default: return nil
        }
    }
}
