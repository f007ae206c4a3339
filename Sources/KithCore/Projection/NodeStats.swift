/// Everything the unified view aggregates, for the events anchored at one identifier value.
/// A profile's view folds the stats of its values, so merges and splits never rewrite events.
public struct NodeStats: Codable, Sendable, Equatable {
    public struct TraitObservation: Codable, Sendable, Equatable {
        public var value: String
        public var source: String
        /// Latest time this value was seen from this source.
        public var at: Timestamp
        public var count: Int
    }

    public var events = 0
    public var firstSeen: Timestamp?
    public var lastSeen: Timestamp?
    public var byType: SmallMap<Int> = [:]
    public var byName: SmallMap<Int> = [:]
    public var bySource: SmallMap<Int> = [:]
    public var orders = 0
    public var refunds = 0
    /// Net spend in minor units per currency: completed orders minus refunds.
    public var spend: SmallMap<Int64> = [:]
    /// Completed order amounts in minor units per currency (for the average order value).
    public var gross: SmallMap<Int64> = [:]
    public var lastOrder: Timestamp?
    public var npsSum = 0
    public var npsCount = 0
    public var latestNPS: ScoredAt?
    public var ratingSum = 0
    public var ratingCount = 0
    public var latestRating: ScoredAt?
    public var complaints = 0
    public var traits: SmallMap<[TraitObservation]> = [:]

    public struct ScoredAt: Codable, Sendable, Equatable {
        public var score: Int
        public var at: Timestamp
    }

    public init() {}

    public mutating func add(_ e: ProjectedEvent) {
        add(e.type, name: e.name, source: e.source, at: e.occurredAt, amount: e.amount, score: e.score)
        for (key, value) in e.traits { observeTrait(key, value, source: e.source, at: e.occurredAt) }
    }

    /// `add(_:)` without the event's traits, which follow with `observeTrait` (a rebuild keeps
    /// an event's fields in columns, not as a `ProjectedEvent`; see `AnchoredEvents`).
    mutating func add(
        _ type: EventType, name: String, source: String, at occurredAt: Timestamp, amount: Money?, score: Int?
    ) {
        events += 1
        if firstSeen.map({ occurredAt < $0 }) ?? true { firstSeen = occurredAt }
        if lastSeen.map({ $0 < occurredAt }) ?? true { lastSeen = occurredAt }
        byType[type.rawValue, default: 0] += 1
        byName[name, default: 0] += 1
        bySource[source, default: 0] += 1
        switch (type, name) {
        case (.transaction, "order_completed"):
            orders += 1
            if let m = amount {
                spend[m.currency, default: 0] += m.minorUnits
                gross[m.currency, default: 0] += m.minorUnits
            }
            if lastOrder.map({ $0 < occurredAt }) ?? true { lastOrder = occurredAt }
        case (.transaction, "refund"):
            refunds += 1
            if let m = amount { spend[m.currency, default: 0] -= m.minorUnits }
        case (.feedback, "nps"):
            if let s = score {
                NodeStats.record(s, at: occurredAt, sum: &npsSum, count: &npsCount, latest: &latestNPS)
            }
        case (.feedback, "rating"), (.feedback, "review"):
            if let s = score {
                NodeStats.record(s, at: occurredAt, sum: &ratingSum, count: &ratingCount, latest: &latestRating)
            }
        case (.feedback, "complaint"):
            complaints += 1
        default:
            break
        }
    }

    /// Counts one trait of an event: empty and `null` values say nothing about the person.
    mutating func observeTrait(_ key: String, _ value: String, source: String, at occurredAt: Timestamp) {
        guard !value.isEmpty, value != "null" else { return }
        // Mutated in place: a copy taken out of the map would be copied again on write.
        NodeStats.observe(
            TraitObservation(value: value, source: source, at: occurredAt, count: 1), in: &traits[key, default: []])
    }

    private static func record(_ score: Int, at: Timestamp, sum: inout Int, count: inout Int, latest: inout ScoredAt?) {
        sum += score
        count += 1
        if latest.map({ $0.at <= at }) ?? true { latest = ScoredAt(score: score, at: at) }
    }

    /// Folds another value's stats into these (associative and commutative).
    public mutating func merge(_ o: NodeStats) {
        events += o.events
        if let f = o.firstSeen, firstSeen.map({ f < $0 }) ?? true { firstSeen = f }
        if let l = o.lastSeen, lastSeen.map({ $0 < l }) ?? true { lastSeen = l }
        for (k, v) in o.byType { byType[k, default: 0] += v }
        for (k, v) in o.byName { byName[k, default: 0] += v }
        for (k, v) in o.bySource { bySource[k, default: 0] += v }
        orders += o.orders
        refunds += o.refunds
        for (k, v) in o.spend { spend[k, default: 0] += v }
        for (k, v) in o.gross { gross[k, default: 0] += v }
        if let l = o.lastOrder, lastOrder.map({ $0 < l }) ?? true { lastOrder = l }
        npsSum += o.npsSum
        npsCount += o.npsCount
        if let n = o.latestNPS, latestNPS.map({ $0.at < n.at || ($0.at == n.at && $0.score < n.score) }) ?? true {
            latestNPS = n
        }
        ratingSum += o.ratingSum
        ratingCount += o.ratingCount
        if let r = o.latestRating, latestRating.map({ $0.at < r.at || ($0.at == r.at && $0.score < r.score) }) ?? true {
            latestRating = r
        }
        complaints += o.complaints
        for (key, list) in o.traits {
            for observation in list { NodeStats.observe(observation, in: &traits[key, default: []]) }
        }
    }

    /// Counts an observation into a trait's list: one entry per value and source, with the
    /// latest time either was seen.
    private static func observe(_ o: TraitObservation, in list: inout [TraitObservation]) {
        if let i = list.firstIndex(where: { $0.value == o.value && $0.source == o.source }) {
            list[i].count += o.count
            if list[i].at < o.at { list[i].at = o.at }
        } else {
            list.append(o)
        }
    }
}
