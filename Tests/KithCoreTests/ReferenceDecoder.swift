import Foundation

@testable import KithCore

/// The oracle for `ProjectedEvent.decode`: the line read by `JSONDecoder`, its values by
/// `ReferenceContract` (Foundation's calendar and `Decimal`, plain string code). It shares no
/// scanning, normalising or parsing code with the decoder it checks.
enum ReferenceDecoder {
    /// What a projection should read from a line.
    struct Reading: Equatable, CustomStringConvertible {
        var eventID: String
        var source: String
        var type: String
        var name: String
        var occurredAt: ReferenceContract.Instant
        /// Kind and value, sorted by kind, then value bytes (duplicates kept).
        var identifiers: [String]
        /// Key and value, sorted by key (the decoder keeps line order; JSONDecoder does not).
        var traits: [Trait]
        var amountMinorUnits: Int64?
        var score: Int?

        struct Trait: Equatable {
            var key: String
            var value: OracleJSON
        }

        var description: String {
            "\(eventID)/\(source) \(type) \(name) \(occurredAt.canonical) \(identifiers) traits \(traits.count) amount \(amountMinorUnits.map(String.init) ?? "-") score \(score.map(String.init) ?? "-")"
        }
    }

    /// Whether the reference can judge the line at all: not a key twice inside an object (the
    /// contract is silent; JSONDecoder keeps one), nor a date before 1600 (its calendar turns
    /// Julian there).
    static func judges(_ line: [UInt8]) -> Bool {
        if StrictJSON.check(line) == .nestedDuplicate { return false }
        guard case .object(let o)? = try? JSONDecoder().decode(OracleJSON.self, from: Data(line)),
            let at = o["occurred_at"]?.string
        else { return true }
        return ReferenceContract.timestamp(at) != .notJudged
    }

    static func decode(_ line: [UInt8], declaredKinds: [String: IdentifierNormalizer.Method] = [:]) -> Reading? {
        guard case .object(let o)? = try? JSONDecoder().decode(OracleJSON.self, from: Data(line)),
            let eventID = o["event_id"]?.string, let source = o["source"]?.string, let type = o["type"]?.string,
            EventType(rawValue: type) != nil, let name = o["name"]?.string, let at = o["occurred_at"]?.string,
            case .valid(let instant) = ReferenceContract.timestamp(at), case .object(let ids)? = o["identifiers"]
        else { return nil }
        var identifiers: [(kind: String, value: String)] = []
        for (kind, value) in ids {
            let raws: [String]
            switch value {
            case .string(let s): raws = [s]
            case .array(let a): raws = a.compactMap(\.string)
            default: raws = []
            }
            let method = declaredKinds[kind] ?? (kind == "phone" ? .phone : kind == "email" ? .email : .text)
            for raw in raws where !raw.isEmpty {
                let normalized: String?
                switch method {
                case .phone: normalized = ReferenceContract.phone(raw)
                case .email: normalized = ReferenceContract.email(raw)
                case .text: normalized = ReferenceContract.text(raw)
                }
                if let normalized { identifiers.append((kind, normalized)) }
            }
        }
        guard !identifiers.isEmpty else { return nil }
        identifiers.sort {
            $0.kind != $1.kind
                ? $0.kind < $1.kind : Array($0.value.utf8).lexicographicallyPrecedes(Array($1.value.utf8))
        }
        var traits: [Reading.Trait] = []
        if case .object(let t)? = o["traits"] {
            traits = t.map { Reading.Trait(key: $0.key, value: $0.value) }.sorted { $0.key < $1.key }
        }
        var amount: Int64?
        var score: Int?
        if case .object(let p)? = o["properties"] {
            let currency: String
            switch p["currency"] {
            case .string(let s)?: currency = s
            default: currency = "CNY"
            }
            if p["amount"] != nil,
                let read = try? JSONDecoder().decode(OracleTransaction.self, from: Data(line)).properties?.amount
            {
                switch read {
                case .text(let s): amount = ReferenceContract.minorUnits(s, currency: currency)
                case .number(let d): amount = ReferenceContract.minorUnits("\(d)", currency: currency)
                }
            }
            switch p["score"] {
            case .string(let s)?: score = Int(s)
            case .number(let d)? where d == d.rounded() && abs(d) < 1e15: score = Int(d)
            default: break
            }
        }
        return Reading(
            eventID: eventID, source: source, type: type, name: name, occurredAt: instant,
            identifiers: identifiers.map { "\($0.kind):\($0.value)" }, traits: traits, amountMinorUnits: amount,
            score: score)
    }

    /// The decoder's event in the reference's terms: trait texts read back as JSON (a string
    /// trait is its text).
    static func reading(of e: ProjectedEvent, comparedWith reference: Reading) -> Reading {
        let traits = e.traits.map { pair -> Reading.Trait in
            let expected = reference.traits.first { $0.key == pair.key }?.value
            if case .string? = expected { return Reading.Trait(key: pair.key, value: .string(pair.value)) }
            let json = (try? JSONDecoder().decode(OracleJSON.self, from: Data(pair.value.utf8))) ?? .string(pair.value)
            return Reading.Trait(key: pair.key, value: json)
        }.sorted { $0.key < $1.key }
        return Reading(
            eventID: e.eventID, source: e.source, type: e.type.rawValue, name: e.name,
            occurredAt: ReferenceContract.Instant(
                epochSeconds: e.occurredAt.epochSeconds, nanoseconds: e.occurredAt.nanoseconds,
                offsetMinutes: Int(e.occurredAt.offsetMinutes), canonical: e.occurredAt.description),
            identifiers: e.identifiers.map { "\($0.kind.rawValue):\($0.value)" }, traits: traits,
            amountMinorUnits: e.amount?.minorUnits, score: e.score)
    }
}
