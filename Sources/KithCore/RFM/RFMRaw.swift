/// A profile's raw RFM inputs, as the projector keeps them: completed orders, the time of the
/// last one, and net spend (completed amounts minus refunds) in the view's currency. Sums of
/// these over a profile's values are associative and commutative, so merges and splits
/// recompute them exactly.
public struct RFMRaw: Sendable, Equatable, Hashable {
    public var orders: Int
    /// Epoch seconds of the last completed order.
    public var lastOrder: Int64?
    /// Minor units of the view's currency.
    public var monetary: Int64

    public init(orders: Int = 0, lastOrder: Int64? = nil, monetary: Int64 = 0) {
        self.orders = orders
        self.lastOrder = lastOrder
        self.monetary = monetary
    }

    public init(_ stats: NodeStats, currency: String) {
        self.init(orders: stats.orders, lastOrder: stats.lastOrder?.epochSeconds, monetary: stats.spend[currency] ?? 0)
    }

    /// Profiles without orders are prospects: they are not scored.
    public var isScored: Bool { orders > 0 && lastOrder != nil }

    public var isEmpty: Bool { orders == 0 && lastOrder == nil && monetary == 0 }

    public mutating func add(_ other: RFMRaw) {
        orders += other.orders
        monetary += other.monetary
        if let l = other.lastOrder, lastOrder.map({ $0 < l }) ?? true { lastOrder = l }
    }

    /// Whole days from the last order to `asOf` (an order after `asOf` counts as today).
    public func recencyDays(asOf: Int64) -> Int? {
        guard let lastOrder else { return nil }
        return Int(max(0, asOf - lastOrder) / 86_400)
    }
}
