/// What an RFM refresh decides: the `as_of` instant, the bin edges that turn raw values into
/// 1–5 scores, and the thresholds that split each dimension into high and low. Scoring one
/// profile needs only its raw values and this model, so the view can be refreshed over a
/// million profiles without rewriting a million rows.
///
/// Bins are `(−∞, e1], (e1, e2], (e2, e3], (e3, e4], (e4, ∞)`: a value equal to an edge falls in
/// the lower bin. Frequency and monetary score 1…5 across them, recency 5…1 (fewer days is
/// better). Quintile edges are nearest-rank: `e_k` is the value at rank ⌈k·n/5⌉, so equal values
/// always share a score. A dimension is high when it is strictly better than its threshold
/// (recency: fewer days; frequency and monetary: more); a value equal to the threshold is low.
public struct RFMModel: Codable, Sendable, Equatable {
    /// Epoch seconds.
    public var asOf: Int64
    public var currency: String
    public var edges: RFMRules.Edges
    public var recencyThreshold: Threshold
    public var frequencyThreshold: Threshold
    public var monetaryThreshold: Threshold
    public var lifecycle: LifecycleRules

    enum CodingKeys: String, CodingKey {
        case currency, edges, lifecycle
        case asOf = "as_of"
        case recencyThreshold = "recency_threshold"
        case frequencyThreshold = "frequency_threshold"
        case monetaryThreshold = "monetary_threshold"
    }

    /// Fits the model to every profile's raw values (prospects are skipped).
    public static func fit(
        _ raws: some Sequence<RFMRaw>, rules: RFMRules, lifecycle: LifecycleRules, asOf: Int64
    ) -> RFMModel {
        var days: [Int64] = []
        var frequency: [Int64] = []
        var monetary: [Int64] = []
        for raw in raws where raw.isScored {
            guard let recency = raw.recencyDays(asOf: asOf) else { continue }
            days.append(Int64(recency))
            frequency.append(Int64(raw.orders))
            monetary.append(raw.monetary)
        }
        let edges: RFMRules.Edges
        switch rules.scores {
        case .quintiles:
            edges = RFMRules.Edges(
                recencyDays: quintileEdges(&days), frequency: quintileEdges(&frequency),
                monetary: quintileEdges(&monetary))
        case .fixed(let fixed):
            edges = fixed
        }
        let thresholds: (Threshold, Threshold, Threshold)
        switch rules.thresholds {
        case .mean: thresholds = (mean(days), mean(frequency), mean(monetary))
        case .median: thresholds = (median(&days), median(&frequency), median(&monetary))
        case .fixed(let r, let f, let m): thresholds = (Threshold(r), Threshold(f), Threshold(m))
        }
        return RFMModel(
            asOf: asOf, currency: rules.currency, edges: edges, recencyThreshold: thresholds.0,
            frequencyThreshold: thresholds.1, monetaryThreshold: thresholds.2, lifecycle: lifecycle)
    }

    /// Scores, or nil for a prospect.
    public func score(_ raw: RFMRaw) -> RFMScore? {
        guard raw.isScored, let days = raw.recencyDays(asOf: asOf) else { return nil }
        let d = Int64(days)
        let f = Int64(raw.orders)
        return RFMScore(
            recencyDays: days, frequency: raw.orders, monetary: raw.monetary,
            r: 5 - RFMModel.bin(d, edges.recencyDays), f: 1 + RFMModel.bin(f, edges.frequency),
            m: 1 + RFMModel.bin(raw.monetary, edges.monetary),
            segment: Segment(
                recentHigh: recencyThreshold.compare(d) < 0, frequencyHigh: frequencyThreshold.compare(f) > 0,
                monetaryHigh: monetaryThreshold.compare(raw.monetary) > 0))
    }

    public func stage(_ raw: RFMRaw) -> LifecycleStage { LifecycleStage(raw, asOf: asOf, rules: lifecycle) }

    /// How many edges lie strictly below the value (0…4).
    static func bin(_ value: Int64, _ edges: [Int64]) -> Int {
        var n = 0
        for e in edges where e < value { n += 1 }
        return n
    }

    /// The values at ranks ⌈k·n/5⌉ (k = 1…4) of the values sorted; the values are reordered.
    static func quintileEdges(_ values: inout [Int64]) -> [Int64] {
        guard !values.isEmpty else { return [0, 0, 0, 0] }
        let n = values.count
        return OrderStatistics.select((1...4).map { k in (k * n + 4) / 5 - 1 }, in: &values)
    }

    static func mean(_ values: [Int64]) -> Threshold {
        guard !values.isEmpty else { return Threshold(0) }
        return Threshold(values.reduce(0, +), over: Int64(values.count))
    }

    /// The middle value, or the mean of the two middle ones; the values are reordered.
    static func median(_ values: inout [Int64]) -> Threshold {
        guard !values.isEmpty else { return Threshold(0) }
        let n = values.count
        if n % 2 == 1 { return Threshold(OrderStatistics.select([n / 2], in: &values)[0]) }
        let middle = OrderStatistics.select([n / 2 - 1, n / 2], in: &values)
        return Threshold(middle[0] + middle[1], over: 2)
    }
}
