import Foundation
import KithCore
import KithGenerator

/// People with identifier values, emitted as events: whole (all values together), or for
/// duplicated people each value alone first and joined later, some with a placeholder phone.
public struct SyntheticIdentities: Sendable {
    public var persons: Int
    public var idsPerPerson: Int
    public var duplication: Double
    public var superNodeShare: Double
    public var seed: UInt64

    public init(persons: Int, idsPerPerson: Int, duplication: Double, superNodeShare: Double, seed: UInt64) {
        self.persons = persons
        self.idsPerPerson = idsPerPerson
        self.duplication = duplication
        self.superNodeShare = superNodeShare
        self.seed = seed
    }

    static let kinds: [IdentifierKind] = [.phone, .email, .memberID, .wechatUnionID, .wechatOpenID, .deviceID]
    /// The events, in the order they are logged.
    public func events() -> [[Identifier]] {
        var rng = SplitMix64(seed: seed)
        var early: [[Identifier]] = []
        var late: [[Identifier]] = []
        var carriers: [Identifier] = []
        for p in 0..<persons {
            let values = (0..<idsPerPerson).map { k -> Identifier in
                let kind = Self.kinds[k]
                switch kind {
                case .phone: return Identifier(kind, "+86139" + String(format: "%08d", p))
                case .email: return Identifier(kind, "p\(p)@mail.com")
                default: return Identifier(kind, "\(kind.rawValue)-\(p)")
                }
            }
            if rng.chance(duplication) {
                for v in values { early.append([v]) }
                late.append(values)
            } else {
                early.append(values)
            }
            if rng.chance(superNodeShare * Double(idsPerPerson)) { carriers.append(values[values.count - 1]) }
        }
        early.shuffle(using: &rng)
        late.shuffle(using: &rng)
        // Placeholders are picked up a few people at a time across the whole stream (about 20
        // people each), so each links people for a while before it is seen to be shared and cut.
        let placeholders = (0..<max(1, carriers.count / 20)).map {
            Identifier(.phone, "+86138000" + String(format: "%05d", $0))
        }
        let ordinary = early + late
        let gap = max(1, ordinary.count / max(1, carriers.count))
        var stream: [[Identifier]] = []
        stream.reserveCapacity(ordinary.count + carriers.count)
        var next = 0
        for (i, event) in ordinary.enumerated() {
            if i % gap == 0 && next < carriers.count {
                stream.append([carriers[next], placeholders[next % placeholders.count]])
                next += 1
            }
            stream.append(event)
        }
        for i in next..<carriers.count { stream.append([carriers[i], placeholders[i % placeholders.count]]) }
        return stream
    }

    /// The events as contract lines, through the real parser, ready for a log.
    public static func lines(_ events: [[Identifier]]) throws -> EncodedLines {
        var encoded = EncodedLines()
        let parser = EventLineParser()
        for (i, identifiers) in events.enumerated() {
            let fields = Dictionary(grouping: identifiers, by: \.kind).sorted { $0.key.rawValue < $1.key.rawValue }.map
            {
                kind, values in
                let texts = values.map { "\"\($0.value)\"" }
                return "\"\(kind.rawValue)\":"
                    + (texts.count == 1 ? texts[0] : "[" + texts.joined(separator: ",") + "]")
            }
            let second = i % 86_400
            let time = String(
                format: "2026-03-%02dT%02d:%02d:%02dZ", 1 + i / 86_400 % 28, second / 3600, second / 60 % 60,
                second % 60)
            let line =
                #"{"event_id":"b\#(i)","source":"bench","type":"behaviour","name":"app_open","occurred_at":"\#(time)","identifiers":{\#(fields.joined(separator: ","))}}"#
            let bytes = Array(line.utf8)
            let parsed = try bytes.withUnsafeBufferPointer { try parser.parse($0, appendingTo: &encoded.bytes).get() }
            encoded.endLine(key: parsed.key)
        }
        return encoded
    }
}
