import KithCore

/// The unified customer view of one profile, as `kith profile get` and exports show it.
public struct ProfileView: Codable, Sendable {
    public struct IdentifierValue: Codable, Sendable {
        public var value: String
        public var firstSeen: String?
        public var lastSeen: String?
        public var sources: [String]
        public var events: Int

        enum CodingKeys: String, CodingKey {
            case value, sources, events
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
        }
    }

    public struct Trait: Codable, Sendable {
        public var value: String
        public var source: String
        public var at: String
        public var rule: String
        /// Other values seen for the trait (value → count), when sources disagree.
        public var alternatives: [String: Int]?
    }

    public struct Stats: Codable, Sendable {
        public var events: Int
        public var firstSeen: String?
        public var lastSeen: String?
        public var channels: [String]
        public var byType: [String: Int]
        public var byName: [String: Int]
        public var bySource: [String: Int]
        public var orders: Int
        public var refunds: Int
        /// Completed orders minus refunds, exact decimal per currency.
        public var netSpend: [String: String]
        public var averageOrderValue: [String: String]
        public var lastOrder: String?
        public var latestNPS: Int?
        public var averageNPS: String?
        public var latestRating: Int?
        public var averageRating: String?
        public var complaints: Int

        enum CodingKeys: String, CodingKey {
            case events, channels, orders, refunds, complaints
            case firstSeen = "first_seen"
            case lastSeen = "last_seen"
            case byType = "by_type"
            case byName = "by_name"
            case bySource = "by_source"
            case netSpend = "net_spend"
            case averageOrderValue = "average_order_value"
            case lastOrder = "last_order"
            case latestNPS = "latest_nps"
            case averageNPS = "average_nps"
            case latestRating = "latest_rating"
            case averageRating = "average_rating"
        }
    }

    /// The profile's place in the RFM view and its lifecycle stage, as of the last refresh.
    public struct RFM: Codable, Sendable {
        public var asOf: String
        public var recencyDays: Int?
        public var frequency: Int
        public var monetary: String
        public var rScore: Int?
        public var fScore: Int?
        public var mScore: Int?
        /// Machine key (`important_value`, …); nil for a prospect.
        public var segment: Segment?
        public var stage: LifecycleStage

        enum CodingKeys: String, CodingKey {
            case frequency, monetary, segment, stage
            case asOf = "as_of"
            case recencyDays = "recency_days"
            case rScore = "r_score"
            case fScore = "f_score"
            case mScore = "m_score"
        }

        init(_ raw: RFMRaw, model: RFMModel) {
            let score = model.score(raw)
            asOf = Timestamp(epochSeconds: model.asOf).description
            recencyDays = score?.recencyDays
            frequency = raw.orders
            monetary = Money(minorUnits: raw.monetary, currency: model.currency).decimalString
            rScore = score?.r
            fScore = score?.f
            mScore = score?.m
            segment = score?.segment
            stage = model.stage(raw)
        }
    }

    public var profileID: String
    /// How the id asked for relates to this profile: `current`, `merged` (an alias) or `split`.
    public var status: String
    public var requested: String?
    public var note: String?
    public var identifiers: [String: [IdentifierValue]]
    public var traits: [String: Trait]
    public var stats: Stats
    public var rfm: RFM?

    enum CodingKeys: String, CodingKey {
        case status, requested, note, identifiers, traits, stats, rfm
        case profileID = "profile_id"
    }

    /// A profile's view from its values (in the order they are shown) and their statistics.
    static func assemble(id: String, values: [StoredValue], traitRules: TraitRules, model: RFMModel?) -> ProfileView {
        var identifiers: [String: [IdentifierValue]] = [:]
        var stats = NodeStats()
        for v in values {
            identifiers[v.info.identifier.kind.rawValue, default: []].append(
                IdentifierValue(
                    value: v.info.identifier.value, firstSeen: v.seen.firstSeen?.description,
                    lastSeen: v.seen.lastSeen?.description, sources: v.seen.sources.sorted(), events: v.info.events))
            if let s = v.stats { stats.merge(s) }
        }
        return build(id: id, identifiers: identifiers, stats: stats, traitRules: traitRules, model: model)
    }

    static func build(
        id: String, identifiers: [String: [IdentifierValue]], stats s: NodeStats, traitRules: TraitRules,
        model: RFMModel?
    ) -> ProfileView {
        var traits: [String: Trait] = [:]
        for (key, observations) in s.traits {
            guard let winner = traitRules.resolve(key, observations) else { continue }
            var alternatives: [String: Int] = [:]
            for o in observations where o.value != winner.value { alternatives[o.value, default: 0] += o.count }
            let rule: String
            switch traitRules.rule(for: key) {
            case .mostRecent: rule = "most_recent"
            case .mostFrequent: rule = "most_frequent"
            case .sourcePriority: rule = "source_priority"
            }
            traits[key] = Trait(
                value: winner.value, source: winner.source, at: winner.at.description, rule: rule,
                alternatives: alternatives.isEmpty ? nil : alternatives)
        }
        func decimal(_ minor: Int64, _ currency: String) -> String {
            Money(minorUnits: minor, currency: currency).decimalString
        }
        var aov: [String: String] = [:]
        if s.orders > 0 {
            for (currency, gross) in s.gross {
                // Rounded half away from zero to the currency's minor unit.
                let n = Int64(s.orders)
                let q = (gross * 2 + (gross >= 0 ? n : -n)) / (2 * n)
                aov[currency] = decimal(q, currency)
            }
        }
        func average(_ sum: Int, _ count: Int) -> String? {
            guard count > 0 else { return nil }
            let hundredths = (sum * 200 + count) / (2 * count)
            return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100)"
        }
        return ProfileView(
            profileID: id, status: "current", requested: nil, note: nil, identifiers: identifiers, traits: traits,
            stats: Stats(
                events: s.events, firstSeen: s.firstSeen?.description, lastSeen: s.lastSeen?.description,
                channels: s.bySource.keys.sorted(), byType: s.byType.dictionary, byName: s.byName.dictionary,
                bySource: s.bySource.dictionary,
                orders: s.orders, refunds: s.refunds,
                netSpend: s.spend.reduce(into: [:]) { $0[$1.key] = decimal($1.value, $1.key) },
                averageOrderValue: aov, lastOrder: s.lastOrder?.description, latestNPS: s.latestNPS?.score,
                averageNPS: average(s.npsSum, s.npsCount), latestRating: s.latestRating?.score,
                averageRating: average(s.ratingSum, s.ratingCount), complaints: s.complaints),
            rfm: model.map { RFM(RFMRaw(s, currency: $0.currency), model: $0) })
    }
}
