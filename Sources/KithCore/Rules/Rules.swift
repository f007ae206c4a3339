/// The rules in force: how identifiers link profiles, which values never link, and how
/// conflicting traits are settled. Loaded from a rules file (`--rules FILE`, YAML or JSON,
/// described by `schemas/rules.schema.json`); `Rules.standard` applies when none is given.
public struct Rules: Codable, Sendable, Equatable {
    public struct IdentifierRule: Codable, Sendable, Equatable {
        /// Whether two values seen on one event join their profiles.
        public var links: Bool
        /// At most this many distinct values of the kind in one profile.
        public var limit: Int
        /// Lower is stronger: when a link would break a limit, links between weaker kinds are
        /// refused first (links are considered strongest first).
        public var priority: Int
        /// How values of a kind the contract does not know are normalised (`phone`, `email`,
        /// `text`); well-known kinds always use their own.
        public var normalizer: IdentifierNormalizer.Method?

        public init(links: Bool, limit: Int, priority: Int, normalizer: IdentifierNormalizer.Method? = nil) {
            self.links = links
            self.limit = limit
            self.priority = priority
            self.normalizer = normalizer
        }
    }

    public var identifiers: [String: IdentifierRule]
    /// Normalised values that never link (cashier placeholders, test accounts).
    public var blocklist: [String]
    /// Patterns of values that never link, whoever else shares them (see `NeverLinkRule`).
    public var neverLink: [NeverLinkRule]
    /// Which conflicting evidence stops a value from linking, however few people share it.
    public var evidence: EvidenceRules
    /// A value seen with more than this many distinct values of other linking kinds is shared
    /// (a shop's generic phone or email): it stops linking.
    public var sharedValueThreshold: Int
    /// How conflicting trait values are settled; `most_recent` unless named.
    public var traits: TraitRules
    /// How the RFM view scores and segments profiles.
    public var rfm: RFMRules
    /// Lifecycle windows.
    public var lifecycle: LifecycleRules
    /// What the file adds to the standard classification of personal data (nil: the standard
    /// one). Kept optional so that rules without it hash as they did before it existed.
    public var classification: Classification?

    /// Which kinds and traits are personal or sensitive: what masking and audit follow.
    public var dataClasses: Classification { classification ?? .standard }

    enum CodingKeys: String, CodingKey {
        case identifiers, blocklist, traits, rfm, lifecycle, evidence, classification
        case sharedValueThreshold = "shared_value_threshold"
        case neverLink = "never_link"
    }

    public init(
        identifiers: [String: IdentifierRule], blocklist: [String], neverLink: [NeverLinkRule] = [],
        evidence: EvidenceRules = EvidenceRules(), sharedValueThreshold: Int, traits: TraitRules = TraitRules(),
        rfm: RFMRules = RFMRules(), lifecycle: LifecycleRules = LifecycleRules()
    ) {
        self.identifiers = identifiers
        self.blocklist = blocklist
        self.neverLink = neverLink
        self.evidence = evidence
        self.sharedValueThreshold = sharedValueThreshold
        self.traits = traits
        self.rfm = rfm
        self.lifecycle = lifecycle
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let standard = Rules.standardLinking
        identifiers = try c.decodeIfPresent([String: IdentifierRule].self, forKey: .identifiers) ?? standard.identifiers
        blocklist = try c.decodeIfPresent([String].self, forKey: .blocklist) ?? standard.blocklist
        neverLink = try c.decodeIfPresent([NeverLinkRule].self, forKey: .neverLink) ?? standard.neverLink
        evidence = try c.decodeIfPresent(EvidenceRules.self, forKey: .evidence) ?? EvidenceRules()
        sharedValueThreshold =
            try c.decodeIfPresent(Int.self, forKey: .sharedValueThreshold) ?? standard.sharedValueThreshold
        traits = try c.decodeIfPresent(TraitRules.self, forKey: .traits) ?? TraitRules()
        rfm = try c.decodeIfPresent(RFMRules.self, forKey: .rfm) ?? RFMRules()
        lifecycle = try c.decodeIfPresent(LifecycleRules.self, forKey: .lifecycle) ?? LifecycleRules()
        classification = try c.decodeIfPresent(Classification.self, forKey: .classification)
    }

    /// The part of the rules the stored projection depends on. Scoring, thresholds and
    /// lifecycle windows are applied by an RFM refresh, so changing them needs no rebuild.
    public var projectionRules: Rules {
        var r = self
        r.rfm = RFMRules(currency: rfm.currency)
        r.lifecycle = LifecycleRules()
        r.classification = nil
        return r
    }

    /// The documented default.
    public static let standard: Rules = {
        var rules = standardLinking
        rules.classification = .standard
        return rules
    }()

    static let standardLinking = Rules(
        identifiers: [
            "member_id": IdentifierRule(links: true, limit: 1, priority: 1),
            "wechat_unionid": IdentifierRule(links: true, limit: 1, priority: 1),
            "customer_id": IdentifierRule(links: true, limit: 2, priority: 2),
            "phone": IdentifierRule(links: true, limit: 3, priority: 3),
            "email": IdentifierRule(links: true, limit: 3, priority: 3),
            "wechat_openid": IdentifierRule(links: true, limit: 5, priority: 4),
            "device_id": IdentifierRule(links: true, limit: 5, priority: 5),
        ],
        blocklist: ["+8613800000000", "+8613888888888", "+8613900000000", "test@test.com", "test@example.com"],
        neverLink: NeverLinkRule.standard, sharedValueThreshold: 8)

    /// The first never-link pattern this value matches, if any.
    public func neverLinkRule(matching identifier: Identifier) -> NeverLinkRule? {
        neverLink.first { $0.matches(identifier) }
    }

    /// Kinds beyond the contract's well-known ones that this file declares, with their normaliser.
    public var declaredKinds: [String: IdentifierNormalizer.Method] {
        var out: [String: IdentifierNormalizer.Method] = [:]
        for (kind, rule) in identifiers where !IdentifierKind.wellKnown.contains(IdentifierKind(rawValue: kind)) {
            out[kind] = rule.normalizer ?? .text
        }
        return out
    }

    /// The rule for a kind; kinds the rules do not name link with the weakest priority.
    public func rule(for kind: IdentifierKind) -> IdentifierRule {
        identifiers[kind.rawValue] ?? IdentifierRule(links: true, limit: 5, priority: 9)
    }
}
