import KithCore

/// A mapping bound to one CSV header: columns resolved to indexes, value maps keyed by bytes,
/// templates split into parts, the time format compiled. It turns a record into a
/// canonical-contract JSON line, which then goes through the same `EventLineParser` as NDJSON,
/// so both paths obey one set of rules.
struct CompiledMapping: Sendable {
    enum RowResult {
        case line
        case skipped
        case rejected(QuarantineReason)
    }

    struct ValueRule: Sendable {
        var fixed: String?
        var column: Int?
        var columnName: String?
        /// Cell bytes → target; a nil target skips the row.
        var values: [[UInt8]: String?]?
        var defaultValue: String?
        var knownValues: String
    }

    struct Field: Sendable {
        /// `"key":` ready to copy.
        var jsonKey: [UInt8]
        var key: String
        var column: Int?
        var columnName: String?
        var fixed: [UInt8]?
        var type: Mapping.FieldRule.ValueType
    }

    enum TemplatePart: Sendable {
        case literal([UInt8])
        case column(Int)
    }

    let header: [String]
    let source: String
    let type: ValueRule
    let name: ValueRule
    let eventIDColumn: Int?
    let eventIDTemplate: [TemplatePart]?
    let timeColumn: Int
    let timeColumnName: String
    let time: LocalTimeFormat
    let identifiers: [Field]
    let traits: [Field]?
    let properties: [Field]?
    /// Contract field (`identifiers.phone`) → CSV column, to name it in reasons.
    let columnOfField: [String: String]

    init(_ mapping: Mapping, header: [String], sourceOverride: String?) throws {
        self.header = header
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() where index[name.trimmingWhitespace()] == nil {
            index[name.trimmingWhitespace()] = i
        }
        let missing = mapping.columns.filter { index[$0] == nil }
        if !missing.isEmpty {
            // Bytes that are not UTF-8 were decoded as U+FFFD: the file is most likely GBK.
            let notUTF8 = header.contains { $0.unicodeScalars.contains("\u{FFFD}") }
            throw IngestError(
                .badMapping,
                "the mapping names column(s) \(Array(Set(missing)).sorted().map { "`\($0)`" }.joined(separator: ", ")) "
                    + "that the header does not have"
                    + (notUTF8
                        ? ": the header row is not valid UTF-8 (is the export GBK? convert it with "
                            + "iconv -f GBK -t UTF-8 FILE > FILE.utf8.csv, and keep its mapping beside it)"
                        : " (header: \(header.prefix(40).joined(separator: ", ")))"))
        }
        func valueRule(_ r: Mapping.ValueRule) -> ValueRule {
            var values: [[UInt8]: String?]?
            if let v = r.values {
                values = [:]
                for (k, target) in v { values?[Array(k.utf8)] = target }
            }
            return ValueRule(
                fixed: r.fixed, column: r.column.flatMap { index[$0] }, columnName: r.column, values: values,
                defaultValue: r.defaultValue,
                knownValues: (r.values?.keys.sorted().prefix(10) ?? []).joined(separator: ", "))
        }
        func fields(_ rules: [String: Mapping.FieldRule]?) -> [Field]? {
            rules.map { rules in
                rules.sorted { $0.key < $1.key }.map { key, rule in
                    var jsonKey: [UInt8] = []
                    JSONWriter.appendString(key, to: &jsonKey)
                    jsonKey.append(UInt8(ascii: ":"))
                    return Field(
                        jsonKey: jsonKey, key: key, column: rule.column.flatMap { index[$0] }, columnName: rule.column,
                        fixed: rule.value.map { Array($0.utf8) }, type: rule.type ?? .string)
                }
            }
        }
        source = sourceOverride ?? mapping.source
        type = valueRule(mapping.type)
        name = valueRule(mapping.name)
        eventIDColumn = mapping.eventID?.column.flatMap { index[$0] }
        eventIDTemplate = try mapping.eventID?.template.map { template in
            var parts: [TemplatePart] = []
            var rest = template[...]
            while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
                if open > rest.startIndex { parts.append(.literal(Array(rest[..<open].utf8))) }
                parts.append(.column(try Self.column(String(rest[rest.index(after: open)..<close]), in: index)))
                rest = rest[rest.index(after: close)...]
            }
            if !rest.isEmpty { parts.append(.literal(Array(rest.utf8))) }
            return parts
        }
        timeColumn = try Self.column(mapping.occurredAt.column, in: index)
        timeColumnName = mapping.occurredAt.column
        time = try LocalTimeFormat(format: mapping.occurredAt.format, timeZone: mapping.occurredAt.timeZone)
        identifiers = fields(mapping.identifiers) ?? []
        traits = fields(mapping.traits)
        properties = fields(mapping.properties)
        var columnOfField: [String: String] = ["occurred_at": mapping.occurredAt.column]
        if let c = mapping.eventID?.column { columnOfField["event_id"] = c }
        for (prefix, list) in [
            ("identifiers", identifiers), ("traits", traits ?? []), ("properties", properties ?? []),
        ] {
            for f in list { if let c = f.columnName { columnOfField[prefix + "." + f.key] = c } }
        }
        self.columnOfField = columnOfField
    }

    func column(forField field: String?) -> String? { field.flatMap { columnOfField[$0] } }
}

extension CompiledMapping {
    /// The index of a column the mapping names (all were checked against the header first).
    fileprivate static func column(_ name: String, in index: [String: Int]) throws -> Int {
        guard let column = index[name] else {
            throw IngestError(.badMapping, "the mapping names column `\(name)` that the header does not have")
        }
        return column
    }
}
