/// How a profile settles a trait that its sources disagree on. Empty values never count.
public struct TraitRules: Codable, Sendable, Equatable {
    public enum Rule: Sendable, Equatable {
        case mostRecent
        case mostFrequent
        /// The first source in the list that has a value wins; most recent among equals.
        case sourcePriority([String])
    }

    public var defaultRule: Rule = .mostRecent
    public var perTrait: [String: Rule] = [:]

    public init(defaultRule: Rule = .mostRecent, perTrait: [String: Rule] = [:]) {
        self.defaultRule = defaultRule
        self.perTrait = perTrait
    }

    public func rule(for trait: String) -> Rule { perTrait[trait] ?? defaultRule }

    /// Picks the winning observation; ties fall to the later time, then the smaller value and
    /// source, so the choice does not depend on the order observations were folded in.
    public func resolve(_ trait: String, _ observations: [NodeStats.TraitObservation]) -> NodeStats.TraitObservation? {
        func later(_ a: NodeStats.TraitObservation, _ b: NodeStats.TraitObservation) -> Bool {
            if a.at != b.at { return a.at > b.at }
            if a.value != b.value { return a.value < b.value }
            return a.source < b.source
        }
        switch rule(for: trait) {
        case .mostRecent:
            return observations.min(by: later)
        case .mostFrequent:
            var counts: [String: Int] = [:]
            for o in observations { counts[o.value, default: 0] += o.count }
            return observations.min { a, b in
                let (ca, cb) = (counts[a.value, default: 0], counts[b.value, default: 0])
                if ca != cb { return ca > cb }
                return later(a, b)
            }
        case .sourcePriority(let sources):
            func rank(_ o: NodeStats.TraitObservation) -> Int { sources.firstIndex(of: o.source) ?? sources.count }
            return observations.min { a, b in rank(a) != rank(b) ? rank(a) < rank(b) : later(a, b) }
        }
    }

    // Coding: `{default: most_recent, name: {rule: source_priority, sources: [pos, tmall]}, city: most_frequent}`
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    struct RuleObject: Codable {
        var rule: String
        var sources: [String]?
    }

    static func decodeRule(_ c: KeyedDecodingContainer<AnyKey>, _ key: AnyKey) throws -> Rule {
        if let name = try? c.decode(String.self, forKey: key) {
            return try rule(named: name, sources: nil, key: key, c)
        }
        let object = try c.decode(RuleObject.self, forKey: key)
        return try rule(named: object.rule, sources: object.sources, key: key, c)
    }

    static func rule(named name: String, sources: [String]?, key: AnyKey, _ c: KeyedDecodingContainer<AnyKey>) throws
        -> Rule
    {
        switch name {
        case "most_recent": return .mostRecent
        case "most_frequent": return .mostFrequent
        case "source_priority":
            guard let sources, !sources.isEmpty else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: c, debugDescription: "source_priority needs a non-empty 'sources' list")
            }
            return .sourcePriority(sources)
        default:
            throw DecodingError.dataCorruptedError(
                forKey: key, in: c,
                debugDescription: "'\(name)' is not a trait rule (most_recent, most_frequent, source_priority)")
        }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: AnyKey.self)
        for key in c.allKeys {
            let rule = try TraitRules.decodeRule(c, key)
            if key.stringValue == "default" { defaultRule = rule } else { perTrait[key.stringValue] = rule }
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: AnyKey.self)
        func encode(_ rule: Rule, _ key: String) throws {
            switch rule {
            case .mostRecent: try c.encode("most_recent", forKey: AnyKey(stringValue: key))
            case .mostFrequent: try c.encode("most_frequent", forKey: AnyKey(stringValue: key))
            case .sourcePriority(let s):
                try c.encode(RuleObject(rule: "source_priority", sources: s), forKey: AnyKey(stringValue: key))
            }
        }
        try encode(defaultRule, "default")
        for (k, r) in perTrait.sorted(by: { $0.key < $1.key }) { try encode(r, k) }
    }
}
