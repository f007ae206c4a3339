/// How the RFM view scores and segments profiles (rules file `rfm:`).
///
/// ```yaml
/// rfm:
///   currency: CNY
///   scores: quintiles          # or fixed bin edges:
///   # scores: {recency_days: [30, 90, 180, 365], frequency: [1, 2, 4, 8], monetary: ["100", "300", "800", "2000"]}
///   thresholds: mean           # or median, or fixed: {recency_days: 90, frequency: 2, monetary: "500.00"}
/// ```
public struct RFMRules: Codable, Sendable, Equatable {
    /// Four ascending upper bin edges per dimension (see `RFMModel`).
    public struct Edges: Codable, Sendable, Equatable {
        public var recencyDays: [Int64]
        public var frequency: [Int64]
        /// Minor units of the view's currency.
        public var monetary: [Int64]

        public init(recencyDays: [Int64], frequency: [Int64], monetary: [Int64]) {
            self.recencyDays = recencyDays
            self.frequency = frequency
            self.monetary = monetary
        }
    }

    public enum Scores: Sendable, Equatable {
        case quintiles
        case fixed(Edges)
    }

    public enum Thresholds: Sendable, Equatable {
        case mean
        case median
        /// Recency days, orders, and minor units.
        case fixed(recencyDays: Int64, frequency: Int64, monetary: Int64)
    }

    public var currency: String
    public var scores: Scores
    public var thresholds: Thresholds

    public init(currency: String = "CNY", scores: Scores = .quintiles, thresholds: Thresholds = .mean) {
        self.currency = currency
        self.scores = scores
        self.thresholds = thresholds
    }

    // MARK: Coding

    enum CodingKeys: String, CodingKey { case currency, scores, thresholds }
    enum DimensionKeys: String, CodingKey {
        case recencyDays = "recency_days"
        case frequency, monetary
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        currency = try c.decodeIfPresent(String.self, forKey: .currency) ?? "CNY"
        let currency = currency
        func money(_ text: String, _ key: DimensionKeys, _ d: KeyedDecodingContainer<DimensionKeys>) throws -> Int64 {
            guard case .success(let m) = Money.parse(text, currency: currency) else {
                throw DecodingError.dataCorruptedError(
                    forKey: key, in: d, debugDescription: "'\(text)' is not an amount in \(currency) (e.g. \"500.00\")")
            }
            return m.minorUnits
        }
        if let name = try? c.decode(String.self, forKey: .scores) {
            guard name == "quintiles" else {
                throw DecodingError.dataCorruptedError(
                    forKey: .scores, in: c,
                    debugDescription: "'\(name)' is not a scoring (quintiles, or fixed bin edges)")
            }
            scores = .quintiles
        } else if c.contains(.scores) {
            let d = try c.nestedContainer(keyedBy: DimensionKeys.self, forKey: .scores)
            let r = try d.decode([Int64].self, forKey: .recencyDays)
            let f = try d.decode([Int64].self, forKey: .frequency)
            let m = try d.decode([String].self, forKey: .monetary).map { try money($0, .monetary, d) }
            for (key, edges) in [(DimensionKeys.recencyDays, r), (.frequency, f), (.monetary, m)] {
                guard edges.count == 4, zip(edges, edges.dropFirst()).allSatisfy({ $0 < $1 }) else {
                    throw DecodingError.dataCorruptedError(
                        forKey: key, in: d, debugDescription: "expected 4 strictly ascending bin edges, found \(edges)")
                }
            }
            scores = .fixed(Edges(recencyDays: r, frequency: f, monetary: m))
        } else {
            scores = .quintiles
        }
        if let name = try? c.decode(String.self, forKey: .thresholds) {
            switch name {
            case "mean": thresholds = .mean
            case "median": thresholds = .median
            default:
                throw DecodingError.dataCorruptedError(
                    forKey: .thresholds, in: c,
                    debugDescription: "'\(name)' is not a threshold (mean, median, or fixed values)")
            }
        } else if c.contains(.thresholds) {
            let d = try c.nestedContainer(keyedBy: DimensionKeys.self, forKey: .thresholds)
            thresholds = .fixed(
                recencyDays: try d.decode(Int64.self, forKey: .recencyDays),
                frequency: try d.decode(Int64.self, forKey: .frequency),
                monetary: try money(try d.decode(String.self, forKey: .monetary), .monetary, d))
        } else {
            thresholds = .mean
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(currency, forKey: .currency)
        func amount(_ minor: Int64) -> String { Money(minorUnits: minor, currency: currency).decimalString }
        switch scores {
        case .quintiles: try c.encode("quintiles", forKey: .scores)
        case .fixed(let e):
            var d = c.nestedContainer(keyedBy: DimensionKeys.self, forKey: .scores)
            try d.encode(e.recencyDays, forKey: .recencyDays)
            try d.encode(e.frequency, forKey: .frequency)
            try d.encode(e.monetary.map(amount), forKey: .monetary)
        }
        switch thresholds {
        case .mean: try c.encode("mean", forKey: .thresholds)
        case .median: try c.encode("median", forKey: .thresholds)
        case .fixed(let r, let f, let m):
            var d = c.nestedContainer(keyedBy: DimensionKeys.self, forKey: .thresholds)
            try d.encode(r, forKey: .recencyDays)
            try d.encode(f, forKey: .frequency)
            try d.encode(amount(m), forKey: .monetary)
        }
    }
}
