/// Lifecycle windows (rules file `lifecycle:`), in whole days since the last completed order.
public struct LifecycleRules: Codable, Sendable, Equatable {
    /// No order for this many days: at risk (churn warning).
    public var atRiskDays: Int
    /// No order for this many days: churned.
    public var churnedDays: Int
    /// Loyal: at least this many orders, the last no more than `loyalMaxRecencyDays` ago.
    public var loyalMinOrders: Int
    public var loyalMaxRecencyDays: Int

    public init(atRiskDays: Int = 30, churnedDays: Int = 180, loyalMinOrders: Int = 4, loyalMaxRecencyDays: Int = 29) {
        self.atRiskDays = atRiskDays
        self.churnedDays = churnedDays
        self.loyalMinOrders = loyalMinOrders
        self.loyalMaxRecencyDays = loyalMaxRecencyDays
    }

    enum CodingKeys: String, CodingKey {
        case atRiskDays = "at_risk_days"
        case churnedDays = "churned_days"
        case loyalMinOrders = "loyal_min_orders"
        case loyalMaxRecencyDays = "loyal_max_recency_days"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = LifecycleRules()
        atRiskDays = try c.decodeIfPresent(Int.self, forKey: .atRiskDays) ?? d.atRiskDays
        churnedDays = try c.decodeIfPresent(Int.self, forKey: .churnedDays) ?? d.churnedDays
        loyalMinOrders = try c.decodeIfPresent(Int.self, forKey: .loyalMinOrders) ?? d.loyalMinOrders
        loyalMaxRecencyDays = try c.decodeIfPresent(Int.self, forKey: .loyalMaxRecencyDays) ?? d.loyalMaxRecencyDays
    }
}
