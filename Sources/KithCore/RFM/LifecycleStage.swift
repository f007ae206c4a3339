/// Where a customer stands, from the first order to churn.
public enum LifecycleStage: String, CaseIterable, Codable, Sendable, Comparable {
    case prospect, new, repeat_ = "repeat", loyal
    case atRisk = "at_risk"
    case churned

    public var key: String { rawValue }

    /// The stage's place in `allCases`, without hashing its raw text (a refresh asks once per
    /// profile).
    var ordinal: Int {
        switch self {
        case .prospect: 0
        case .new: 1
        case .repeat_: 2
        case .loyal: 3
        case .atRisk: 4
        case .churned: 5
        }
    }

    public func label(_ language: Segment.Language) -> String {
        switch (self, language) {
        case (.prospect, .zh): "潜在客户"
        case (.new, .zh): "新客"
        case (.repeat_, .zh): "复购客"
        case (.loyal, .zh): "忠诚客"
        case (.atRisk, .zh): "流失预警"
        case (.churned, .zh): "已流失"
        case (.prospect, .en): "prospect"
        case (.new, .en): "new"
        case (.repeat_, .en): "repeat"
        case (.loyal, .en): "loyal"
        case (.atRisk, .en): "at risk"
        case (.churned, .en): "churned"
        }
    }

    public static func < (a: LifecycleStage, b: LifecycleStage) -> Bool {
        a.ordinal < b.ordinal
    }

    /// Churned, then at risk, then loyal, repeat and new: the first that applies.
    public init(_ raw: RFMRaw, asOf: Int64, rules: LifecycleRules) {
        guard raw.isScored, let days = raw.recencyDays(asOf: asOf) else {
            self = .prospect
            return
        }
        if days >= rules.churnedDays {
            self = .churned
        } else if days >= rules.atRiskDays {
            self = .atRisk
        } else if raw.orders >= rules.loyalMinOrders && days <= rules.loyalMaxRecencyDays {
            self = .loyal
        } else if raw.orders >= 2 {
            self = .repeat_
        } else {
            self = .new
        }
    }
}
