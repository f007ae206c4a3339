extension EventKey {
    /// The 16 bytes a store keeps (high, then low, big-endian).
    package var storedBytes: [UInt8] {
        (0..<16).map { i in UInt8(truncatingIfNeeded: (i < 8 ? high : low) >> (56 - 8 * UInt64(i % 8))) }
    }

    /// A key from `storedBytes`; nil if there are not 16 bytes.
    package init?(storedBytes bytes: [UInt8]) {
        guard bytes.count == 16 else { return nil }
        let word = { (range: Range<Int>) in bytes[range].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } }
        self.init(high: word(0..<8), low: word(8..<16))
    }
}
