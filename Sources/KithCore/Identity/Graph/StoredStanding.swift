/// A value's standing as a store keeps it: typed columns, never the enum's text, so a store
/// can be queried by kind and a standing reads back exactly as the projector recorded it.
///
/// `kind` is `Standing.Kind`'s stable code; the other fields hold the detail of the kinds that
/// have one (a shared value's partner count, a never-link rule's name, a contested value's
/// evidence) and are nil otherwise.
public struct StoredStanding: Sendable, Equatable {
    public typealias Standing = IdentityResolver.Standing
    public typealias Evidence = IdentityResolver.Evidence

    /// `Standing.Kind`'s code.
    public var kind: Int
    /// A shared value's count of partners.
    public var partners: Int?
    /// The never-link rule a value matches.
    public var rule: String?
    /// What contests a value (`Evidence.Kind`'s code), and of which identifier kind, how many
    /// values against what limit, where the evidence says.
    public var evidence: Int?
    public var evidenceKind: String?
    public var evidenceCount: Int?
    public var evidenceLimit: Int?

    public init(
        kind: Int, partners: Int? = nil, rule: String? = nil, evidence: Int? = nil, evidenceKind: String? = nil,
        evidenceCount: Int? = nil, evidenceLimit: Int? = nil
    ) {
        self.kind = kind
        self.partners = partners
        self.rule = rule
        self.evidence = evidence
        self.evidenceKind = evidenceKind
        self.evidenceCount = evidenceCount
        self.evidenceLimit = evidenceLimit
    }

    public init(_ standing: Standing) {
        self.init(kind: standing.kind.rawValue)
        switch standing {
        case .links, .kindDoesNotLink, .blocklisted: break
        case .shared(let count): partners = count
        case .neverLinks(let name): rule = name
        case .contested(let why):
            evidence = why.kind.rawValue
            switch why {
            case .differentNames: break
            case .partnersWithDifferentNames(let of): evidenceKind = of.rawValue
            case .overLimit(let of, let count, let limit):
                evidenceKind = of.rawValue
                evidenceCount = count
                evidenceLimit = limit
            }
        }
    }

    /// The standing these columns hold; nil when they hold none this version knows (a store
    /// written by a later version, or damaged).
    public var standing: Standing? {
        switch Standing.Kind(rawValue: kind) {
        case .links: return .links
        case .kindDoesNotLink: return .kindDoesNotLink
        case .blocklisted: return .blocklisted
        case .shared: return partners.map { .shared(partners: $0) }
        case .neverLinks: return rule.map { .neverLinks(rule: $0) }
        case .contested:
            switch evidence.flatMap(Evidence.Kind.init(rawValue:)) {
            case .differentNames: return .contested(.differentNames)
            case .partnersWithDifferentNames:
                return evidenceKind.map { .contested(.partnersWithDifferentNames(IdentifierKind(rawValue: $0))) }
            case .overLimit:
                guard let evidenceKind, let evidenceCount, let evidenceLimit else { return nil }
                return .contested(
                    .overLimit(IdentifierKind(rawValue: evidenceKind), count: evidenceCount, limit: evidenceLimit))
            case nil: return nil
            }
        case nil: return nil
        }
    }
}

extension IdentityResolver.Evidence {
    /// The kinds of evidence, with stable stored codes (never renumbered: stores keep them).
    public enum Kind: Int, Sendable {
        case differentNames = 1
        case partnersWithDifferentNames = 2
        case overLimit = 3
    }

    public var kind: Kind {
        switch self {
        case .differentNames: .differentNames
        case .partnersWithDifferentNames: .partnersWithDifferentNames
        case .overLimit: .overLimit
        }
    }
}

extension IdentityResolver.Standing {
    /// The standing whose text (`code`) is `text`, as stores before typed columns kept it; nil
    /// for text no version wrote. Only migrations read text.
    public init?(code text: String) {
        switch text {
        case "links": self = .links
        case "kindDoesNotLink": self = .kindDoesNotLink
        case "blocklisted": self = .blocklisted
        case _ where text.hasPrefix("shared(partners: ") && text.hasSuffix(")"):
            guard let count = Int(text.dropFirst("shared(partners: ".count).dropLast()) else { return nil }
            self = .shared(partners: count)
        case _ where text.hasPrefix("never_link: "):
            self = .neverLinks(rule: String(text.dropFirst("never_link: ".count)))
        case _ where text.hasPrefix("contested: "):
            guard let evidence = IdentityResolver.Evidence(text: text.dropFirst("contested: ".count)) else {
                return nil
            }
            self = .contested(evidence)
        default: return nil
        }
    }
}

extension IdentityResolver.Evidence {
    /// The evidence whose `description` is `text`; nil for text no version wrote.
    init?(text: Substring) {
        if text == "different names on its events" {
            self = .differentNames
            return
        }
        guard text.hasPrefix("seen with ") else { return nil }
        let rest = text.dropFirst("seen with ".count)
        let differentNames = " values of different names"
        if rest.hasSuffix(differentNames) {
            self = .partnersWithDifferentNames(IdentifierKind(rawValue: String(rest.dropLast(differentNames.count))))
            return
        }
        // "<count> <kind> values (limit <limit>)"
        let words = rest.split(separator: " ")
        guard words.count == 5, words[2] == "values", words[3] == "(limit", words[4].hasSuffix(")"),
            let count = Int(words[0]), let limit = Int(words[4].dropLast())
        else { return nil }
        self = .overLimit(IdentifierKind(rawValue: String(words[1])), count: count, limit: limit)
    }
}
