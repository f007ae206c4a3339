/// The segment table, the lifecycle funnel and the R×F grid, as a refresh leaves them.
public struct RFMSummary: Codable, Sendable, Equatable {
    public struct SegmentRow: Codable, Sendable, Equatable {
        public var segment: Segment
        public var count: Int
        /// Share of scored profiles, in percent, two decimals.
        public var share: String
        public var meanRecencyDays: String
        public var meanFrequency: String
        /// In the view's currency.
        public var meanMonetary: String
        public var monetary: String
        /// Share of the total monetary of scored profiles, in percent, two decimals.
        public var monetaryShare: String

        enum CodingKeys: String, CodingKey {
            case segment, count, share, monetary
            case meanRecencyDays = "mean_recency_days"
            case meanFrequency = "mean_frequency"
            case meanMonetary = "mean_monetary"
            case monetaryShare = "monetary_share"
        }
    }

    public struct Cell: Codable, Sendable, Equatable {
        public var r: Int
        public var f: Int
        public var count: Int
        public var monetary: String
    }

    public var profiles = 0
    public var scored = 0
    public var segments: [SegmentRow] = []
    /// Stage key → profiles (every stage listed, zeros included).
    public var stages: [String: Int] = [:]
    /// R score × F score, 25 cells, with each cell's monetary total.
    public var grid: [Cell] = []

    public init() {}

    /// One pass over every profile's raw values.
    public init(_ raws: some Sequence<RFMRaw>, model: RFMModel) {
        var count = [Int](repeating: 0, count: 8)
        var days = [Int64](repeating: 0, count: 8)
        var freq = [Int64](repeating: 0, count: 8)
        var money = [Int64](repeating: 0, count: 8)
        var stageCounts = [Int](repeating: 0, count: LifecycleStage.allCases.count)
        var cellCount = [Int](repeating: 0, count: 25)
        var cellMoney = [Int64](repeating: 0, count: 25)
        for raw in raws {
            profiles += 1
            stageCounts[model.stage(raw).ordinal] += 1
            guard let s = model.score(raw) else { continue }
            scored += 1
            let i = s.segment.ordinal
            count[i] += 1
            days[i] += Int64(s.recencyDays)
            freq[i] += Int64(s.frequency)
            money[i] += s.monetary
            cellCount[(s.r - 1) * 5 + (s.f - 1)] += 1
            cellMoney[(s.r - 1) * 5 + (s.f - 1)] += s.monetary
        }
        let digits = Money.minorDigits(of: model.currency)
        let totalMoney = money.reduce(0, +)
        func percent(_ part: Int64, _ whole: Int64) -> String {
            whole == 0 ? "0.00" : Threshold(part * 100, over: whole).decimal(places: 2)
        }
        func amount(_ minor: Int64) -> String { Money(minorUnits: minor, currency: model.currency).decimalString }
        for (i, segment) in Segment.allCases.enumerated() {
            let n = Int64(max(count[i], 1))
            segments.append(
                SegmentRow(
                    segment: segment, count: count[i], share: percent(Int64(count[i]), Int64(scored)),
                    meanRecencyDays: Threshold(days[i], over: n).decimal(places: 1),
                    meanFrequency: Threshold(freq[i], over: n).decimal(places: 2),
                    meanMonetary: Threshold(money[i], over: n).decimal(places: digits, minorDigits: digits),
                    monetary: amount(money[i]), monetaryShare: percent(money[i], totalMoney)))
        }
        for (i, stage) in LifecycleStage.allCases.enumerated() { stages[stage.key] = stageCounts[i] }
        for r in 1...5 {
            for f in 1...5 {
                grid.append(
                    Cell(
                        r: r, f: f, count: cellCount[(r - 1) * 5 + f - 1],
                        monetary: amount(cellMoney[(r - 1) * 5 + f - 1])))
            }
        }
    }
}
