import Foundation

/// A small, fast, seedable generator: the same seed gives the same exports on every machine.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    public mutating func int(_ range: Range<Int>) -> Int { Int.random(in: range, using: &self) }
    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    public mutating func pick<T>(_ items: [T]) -> T { items[int(0..<items.count)] }

    /// A count with the given mean (geometric), for events per person.
    public mutating func count(mean: Double) -> Int {
        var n = 0
        let p = 1.0 / (mean + 1.0)
        while !chance(p) && n < 200 { n += 1 }
        return n
    }
}

extension SplitMix64 {
    /// The generator of a randomised test: seeded from `KITH_TEST_SEED` when it is set (to
    /// replay a failure), else afresh. The seed is printed either way, beside the test's name,
    /// so a failing run says how to replay itself.
    public static func forTest(_ name: String) -> SplitMix64 {
        var fresh = SystemRandomNumberGenerator()
        let seed = ProcessInfo.processInfo.environment["KITH_TEST_SEED"].flatMap { UInt64($0) } ?? fresh.next()
        print("\(name): random seed \(seed) (replay with KITH_TEST_SEED=\(seed))")
        return SplitMix64(seed: seed)
    }
}
