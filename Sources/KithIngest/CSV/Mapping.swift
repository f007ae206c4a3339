import Foundation
import Yams

/// How the columns of a CSV export become canonical events. Loaded from JSON or YAML;
/// `schemas/mapping.schema.json` describes it and `schemas/examples/` holds real ones.
public struct Mapping: Codable, Sendable {
    public var source: String
    public var delimiter: String?
    /// Fixed (`transaction`) or from a column with a value map.
    public var type: ValueRule
    public var name: ValueRule
    /// A column, a template such as `{订单编号}-{子订单编号}`, or absent: a hash of the row.
    public var eventID: EventIDRule?
    public var occurredAt: TimeRule
    public var identifiers: [String: FieldRule]
    public var traits: [String: FieldRule]?
    public var properties: [String: FieldRule]?

    enum CodingKeys: String, CodingKey {
        case source, delimiter, type, name
        case eventID = "event_id"
        case occurredAt = "occurred_at"
        case identifiers, traits, properties
    }

    /// A fixed value, or a column whose values are mapped (a `null` target skips the row).
    public struct ValueRule: Codable, Sendable {
        public var fixed: String?
        public var column: String?
        public var values: [String: String?]?
        public var defaultValue: String?

        enum CodingKeys: String, CodingKey {
            case column, values
            case defaultValue = "default"
        }

        public init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                fixed = text
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            column = try c.decode(String.self, forKey: .column)
            values = try c.decodeIfPresent([String: String?].self, forKey: .values)
            defaultValue = try c.decodeIfPresent(String.self, forKey: .defaultValue)
        }

        public func encode(to encoder: any Encoder) throws {
            if let fixed {
                var c = encoder.singleValueContainer()
                try c.encode(fixed)
                return
            }
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encodeIfPresent(column, forKey: .column)
            try c.encodeIfPresent(values, forKey: .values)
            try c.encodeIfPresent(defaultValue, forKey: .defaultValue)
        }
    }

    public struct EventIDRule: Codable, Sendable {
        public var column: String?
        public var template: String?

        public init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                column = text
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            column = try c.decodeIfPresent(String.self, forKey: .column)
            template = try c.decodeIfPresent(String.self, forKey: .template)
            if column == nil && template == nil {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "needs 'column' or 'template'"))
            }
        }
    }

    public struct TimeRule: Codable, Sendable {
        public var column: String
        /// `yyyy/MM/dd HH:mm`-style pattern, or `rfc3339` (the default).
        public var format: String?
        /// IANA zone (`Asia/Shanghai`) or a fixed offset (`+08:00`) for local times.
        public var timeZone: String?

        enum CodingKeys: String, CodingKey {
            case column, format
            case timeZone = "time_zone"
        }

        public init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                column = text
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            column = try c.decode(String.self, forKey: .column)
            format = try c.decodeIfPresent(String.self, forKey: .format)
            timeZone = try c.decodeIfPresent(String.self, forKey: .timeZone)
        }
    }

    /// A column (string), or `{column, type}` / `{value}` for typed or fixed values.
    public struct FieldRule: Codable, Sendable {
        public enum ValueType: String, Codable, Sendable { case string, integer, decimal, boolean }
        public var column: String?
        public var type: ValueType?
        public var value: String?

        public init(from decoder: any Decoder) throws {
            if let text = try? decoder.singleValueContainer().decode(String.self) {
                column = text
                return
            }
            let c = try decoder.container(keyedBy: CodingKeys.self)
            column = try c.decodeIfPresent(String.self, forKey: .column)
            type = try c.decodeIfPresent(ValueType.self, forKey: .type)
            value = try c.decodeIfPresent(String.self, forKey: .value)
            if column == nil && value == nil {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: decoder.codingPath, debugDescription: "needs 'column' or 'value'"))
            }
        }
    }

    /// Loads a mapping from a `.json`, `.yaml` or `.yml` file, with errors naming the field.
    public static func load(from path: String) throws -> Mapping {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw IngestError(.badMapping, "cannot read the mapping file", file: path)
        }
        do {
            let lower = path.lowercased()
            if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") {
                return try YAMLDecoder().decode(Mapping.self, from: data)
            }
            return try JSONDecoder().decode(Mapping.self, from: data)
        } catch let error as DecodingError {
            throw IngestError(.badMapping, error.fieldDescription, file: path)
        } catch {
            throw IngestError(.badMapping, "not valid YAML or JSON: \(error)", file: path)
        }
    }

    /// The field separator as a byte (`\t` may be written as a backslash-t).
    var delimiterByte: UInt8 {
        delimiter.flatMap { $0 == "\\t" ? UInt8(ascii: "\t") : $0.utf8.first } ?? UInt8(ascii: ",")
    }

    /// Every column the mapping reads, to check against the CSV header up front.
    var columns: [String] {
        var out: [String] = []
        if let c = type.column { out.append(c) }
        if let c = name.column { out.append(c) }
        if let c = eventID?.column { out.append(c) }
        if let t = eventID?.template { out.append(contentsOf: Mapping.placeholders(in: t)) }
        out.append(occurredAt.column)
        for rules in [identifiers, traits ?? [:], properties ?? [:]] {
            for rule in rules.values { if let c = rule.column { out.append(c) } }
        }
        return out
    }

    static func placeholders(in template: String) -> [String] {
        var out: [String] = []
        var rest = template[...]
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out.append(String(rest[rest.index(after: open)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        return out
    }
}
