import Foundation
import Testing

@testable import KithCore
import KithGenerator

/// Any JSON value as Foundation's `JSONDecoder` reads it: the oracle for the byte parser.
indirect enum OracleJSON: Decodable, Equatable {
    case null, bool(Bool), number(Double), string(String), array([OracleJSON]), object([String: OracleJSON])

    init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() {
            self = .null
        } else if let b = try? c.decode(Bool.self) {
            self = .bool(b)
        } else if let n = try? c.decode(Double.self) {
            self = .number(n)
        } else if let s = try? c.decode(String.self) {
            self = .string(s)
        } else if let a = try? c.decode([OracleJSON].self) {
            self = .array(a)
        } else {
            self = .object(try c.decode([String: OracleJSON].self))
        }
    }

    var string: String? { if case .string(let s) = self { return s } else { return nil } }
}

/// The slow, obvious implementation of the contract on top of `JSONDecoder`.
enum Oracle {
    static let fields: Set<String> = [
        "event_id", "source", "type", "name", "occurred_at", "identifiers", "traits", "properties",
    ]

    /// The expected canonical event as a JSON value, or nil if the line must be rejected.
    static func expected(_ line: [UInt8]) -> OracleJSON? {
        guard let value = try? JSONDecoder().decode(OracleJSON.self, from: Data(line)),
            case .object(let o) = value, Set(o.keys).isSubset(of: fields),
            let id = o["event_id"]?.string, !id.isEmpty, id.utf8.count <= 256,
            !id.unicodeScalars.contains(where: { $0.value < 0x20 }),
            let source = o["source"]?.string, (1...32).contains(source.utf8.count),
            source.utf8.allSatisfy({ isSourceByte($0) }),
            let type = o["type"]?.string, EventType(rawValue: type) != nil,
            let name = o["name"]?.string, (1...64).contains(name.utf8.count), name.utf8.allSatisfy({ isNameByte($0) }),
            let at = o["occurred_at"]?.string, case .valid(let time) = ReferenceContract.timestamp(at),
            case .object(let ids)? = o["identifiers"]
        else { return nil }
        var normalized: [String: Set<String>] = [:]
        for (kind, v) in ids {
            guard IdentifierKind.wellKnown.contains(IdentifierKind(rawValue: kind)) else { return nil }
            var raws: [String] = []
            switch v {
            case .string(let s): raws = [s]
            case .array(let a):
                for x in a {
                    guard let s = x.string else { return nil }
                    raws.append(s)
                }
            case .null: break
            default: return nil
            }
            for raw in raws where !raw.isEmpty {
                let reference =
                    kind == "phone"
                    ? ReferenceContract.phone : kind == "email" ? ReferenceContract.email : ReferenceContract.text
                if let n = reference(raw) { normalized[kind, default: []].insert(n) }
            }
        }
        guard !normalized.isEmpty else { return nil }
        for key in ["traits", "properties"] {
            if let v = o[key] {
                switch v {
                case .object, .null: break
                default: return nil
                }
            }
        }
        if type == "transaction",
            !transactionPropertiesAreValid(line, name: name, hasProperties: o["properties"] != nil)
        {
            return nil
        }
        var out: [String: OracleJSON] = [
            "event_id": .string(id), "source": .string(source), "type": .string(type), "name": .string(name),
            "occurred_at": .string(time.canonical),
            "identifiers": .object(
                normalized.mapValues { values in
                    let sorted = values.sorted()
                    return sorted.count == 1 ? .string(sorted[0]) : .array(sorted.map { .string($0) })
                }),
        ]
        if case .object(let t)? = o["traits"], !t.isEmpty { out["traits"] = .object(t) }
        if case .object(let p)? = o["properties"], !p.isEmpty { out["properties"] = .object(p) }
        return .object(out)
    }
}

/// Amount and currency read with `Decimal` (exact), never `Double`.
struct OracleTransaction: Decodable {
    enum Amount: Decodable {
        case text(String), number(Decimal)
        init(from decoder: any Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) {
                self = .text(s)
            } else {
                self = .number(try c.decode(Decimal.self))
            }
        }
    }
    struct Properties: Decodable {
        var amount: Amount?
        var currency: String?
    }
    var properties: Properties?
}

extension Oracle {
    static func transactionPropertiesAreValid(_ line: [UInt8], name: String, hasProperties: Bool) -> Bool {
        guard let t = try? JSONDecoder().decode(OracleTransaction.self, from: Data(line)) else { return false }
        let currency = t.properties?.currency ?? "CNY"
        guard currency.utf8.count == 3, currency.utf8.allSatisfy({ $0 >= 0x41 && $0 <= 0x5A }) else { return false }
        switch t.properties?.amount {
        case nil: return !(name == "order_completed" || name == "refund")
        case .text(let s)?: return ReferenceContract.minorUnits(s, currency: currency) != nil
        case .number(let d)?: return ReferenceContract.minorUnits("\(d)", currency: currency) != nil
        }
    }
}

@Suite("Byte parser against the JSONDecoder oracle")
struct ParserOracleTests {
    static let seeds: [String] = [
        EventLineParserTests.example,
        #"{"event_id":"a1","source":"app","type":"behaviour","name":"product_view","occurred_at":"2026-03-01T10:15:00.123+08:00","identifiers":{"device_id":"d-1","email":" Li@X.com "},"properties":{"sku":"S1","n":[1,2.5,-3e2],"ok":true,"none":null}}"#,
        #"{"event_id":"w\"9","source":"web","type":"interaction","name":"chat","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"phone":["+44 20 7946 0958","13800138000"]},"traits":{"name":"A\u00e9\n"}}"#,
        #"{"event_id":"s1","source":"survey","type":"feedback","name":"comment","occurred_at":"2026-03-01T10:15:00-05:00","identifiers":{"member_id":"M1"},"properties":{"text":"\ud83d\ude00 好"}}"#,
    ]

    static func mutate(_ line: [UInt8], rng: inout some RandomNumberGenerator) -> [UInt8] {
        var b = line
        let alphabet = Array(#"{}[]":,\ 0123456789.eE+-abcdefnrtu"#.utf8) + [0x00, 0x1F, 0x7F, 0xC3, 0xE4, 0xFF]
        for _ in 0..<Int.random(in: 1...3, using: &rng) {
            guard !b.isEmpty else { break }
            let i = Int.random(in: 0..<b.count, using: &rng)
            switch Int.random(in: 0..<4, using: &rng) {
            case 0: b[i] = alphabet[Int.random(in: 0..<alphabet.count, using: &rng)]
            case 1: b.remove(at: i)
            case 2: b.insert(alphabet[Int.random(in: 0..<alphabet.count, using: &rng)], at: i)
            default:
                let j = min(b.count, i + Int.random(in: 1...8, using: &rng))
                b.insert(contentsOf: b[i..<j], at: j)
            }
        }
        return b
    }

    @Test("On fuzzed lines the parser accepts exactly what the oracle accepts, with the same content")
    func fuzzAgainstOracle() throws {
        var rng = SplitMix64.forTest("ParserOracleTests.fuzzAgainstOracle")
        var accepted = 0
        var rejected = 0
        var notJudged = 0
        for i in 0..<30_000 {
            let seed = Array(Self.seeds[i % Self.seeds.count].utf8)
            let line = i < Self.seeds.count ? seed : Self.mutate(seed, rng: &rng)
            var out: [UInt8] = []
            let ours = line.withUnsafeBufferPointer { EventLineParser().parse($0, appendingTo: &out) }
            // The oracle's own reading of what JSONDecoder lets through: a trailing comma (RFC
            // 8259 has none) or a top-level field twice is a rejection; a key twice inside a
            // nested object, where the contract says nothing, is not judged (and counted).
            let strictness = StrictJSON.check(line)
            if strictness == .nestedDuplicate || (strictness == .fine && StrictJSON.isOutsideReference(line)) {
                notJudged += 1
                continue
            }
            let expected = strictness == .fine ? Oracle.expected(line) : nil
            switch (ours, expected) {
            case (.success, let expected?):
                accepted += 1
                let canonical = try JSONDecoder().decode(OracleJSON.self, from: Data(out))
                #expect(canonical == expected, "line: \(String(decoding: line, as: UTF8.self))")
            case (.failure, nil):
                rejected += 1
                #expect(out.isEmpty, "a rejected line must not leave output behind")
            case (.success, nil):
                Issue.record("parser accepted what the oracle rejects: \(String(decoding: line, as: UTF8.self))")
            case (.failure(let reason), .some):
                Issue.record(
                    "parser rejected (\(reason.message)) what the oracle accepts: \(String(decoding: line, as: UTF8.self))"
                )
            }
        }
        #expect(accepted > 1_000)
        #expect(rejected > 1_000)
        #expect(notJudged < 600, "\(notJudged) of 30,000 lines were outside what the oracle judges")
    }
}

/// What `JSONDecoder` forgives and the contract does not, found by a plain byte walk.
enum StrictJSON: Equatable {
    case fine
    case trailingComma
    case duplicateField
    case nestedDuplicate

    /// A line whose time the reference cannot judge (before 1600).
    static func isOutsideReference(_ line: [UInt8]) -> Bool {
        guard let value = try? JSONDecoder().decode(OracleJSON.self, from: Data(line)), case .object(let o) = value,
            let at = o["occurred_at"]?.string
        else { return false }
        return ReferenceContract.timestamp(at) == .notJudged
    }

    static func check(_ line: [UInt8]) -> StrictJSON {
        var keys: [Set<String>?] = []  // one per open container; nil for arrays
        var expectingKey: [Bool] = []
        var lastSignificant: UInt8 = 0
        var verdict = StrictJSON.fine
        var i = 0
        while i < line.count {
            let c = line[i]
            switch c {
            case UInt8(ascii: "\""):
                var j = i + 1
                while j < line.count, line[j] != UInt8(ascii: "\"") { j += line[j] == UInt8(ascii: "\\") ? 2 : 1 }
                if let isKey = expectingKey.last, isKey, keys.last != nil, keys[keys.count - 1] != nil, j < line.count {
                    let text = (try? JSONDecoder().decode(String.self, from: Data(line[i...j]))) ?? ""
                    if keys[keys.count - 1]?.insert(text).inserted == false, verdict == .fine {
                        verdict = keys.count == 1 ? .duplicateField : .nestedDuplicate
                    }
                    expectingKey[expectingKey.count - 1] = false
                }
                i = j
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                keys.append(c == UInt8(ascii: "{") ? [] : nil)
                expectingKey.append(c == UInt8(ascii: "{"))
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                if lastSignificant == UInt8(ascii: ",") { return .trailingComma }
                _ = keys.popLast()
                _ = expectingKey.popLast()
            case UInt8(ascii: ","):
                if let isObject = keys.last, isObject != nil { expectingKey[expectingKey.count - 1] = true }
            default:
                break
            }
            if ![0x20, 0x09, 0x0A, 0x0D].contains(c) { lastSignificant = c }
            i += 1
        }
        return verdict
    }
}
