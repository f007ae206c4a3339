/// An exact threshold `numerator / denominator` (a mean or a median of integers), compared
/// without rounding so that ties are decided the same way on every machine.
public struct Threshold: Codable, Sendable, Equatable {
    public var numerator: Int64
    /// Always positive.
    public var denominator: Int64

    public init(_ numerator: Int64, over denominator: Int64 = 1) {
        precondition(denominator > 0)
        self.numerator = numerator
        self.denominator = denominator
    }

    /// -1, 0 or 1 as `value` is below, at or above the threshold (`value · denominator` against
    /// `numerator`, in 128 bits).
    public func compare(_ value: Int64) -> Int {
        let product = value.multipliedFullWidth(by: denominator)
        let widened = (high: numerator < 0 ? Int64(-1) : 0, low: UInt64(bitPattern: numerator))
        if product.high != widened.high { return product.high < widened.high ? -1 : 1 }
        if product.low != widened.low { return product.low < widened.low ? -1 : 1 }
        return 0
    }

    /// The value (in minor units when `minorDigits` > 0) rounded half away from zero to `places`
    /// decimal places, as text.
    public func decimal(places: Int, minorDigits: Int = 0) -> String {
        var p: Int64 = 1
        for _ in 0..<places { p *= 10 }
        var d: Int64 = 1
        for _ in 0..<minorDigits { d *= 10 }
        let den = denominator * d
        let scaled = numerator * p
        let q = (scaled * 2 + (scaled >= 0 ? den : -den)) / (2 * den)
        let sign = q < 0 ? "-" : ""
        let a = q.magnitude
        guard places > 0 else { return sign + String(a) }
        let frac = String(a % UInt64(p))
        return sign + String(a / UInt64(p)) + "." + String(repeating: "0", count: places - frac.count) + frac
    }
}
