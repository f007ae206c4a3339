/// The idempotency key `(source, event_id)` as a stable 128-bit hash.
///
/// Stable across processes and machines (it is persisted in `.keys` files), so it is computed
/// by a fixed function here, never by Swift's seeded `Hasher`.
public struct EventKey: Sendable, Hashable {
    public var high: UInt64
    public var low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    public init(source: some Collection<UInt8>, eventID: some Collection<UInt8>) {
        let count = source.count + eventID.count + 1
        self = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { buffer in
            var i = 0
            for b in source {
                buffer[i] = b
                i += 1
            }
            buffer[i] = 0x1F
            i += 1
            for b in eventID {
                buffer[i] = b
                i += 1
            }
            return EventKey(hashing: UnsafeBufferPointer(buffer))
        }
    }

    public init(hashing bytes: UnsafeBufferPointer<UInt8>) {
        high = StableHash.hash(bytes, seed: 0x243F_6A88_85A3_08D3)
        low = StableHash.hash(bytes, seed: 0x1319_8A2E_0370_7344)
    }
}

/// A fast, fixed 64-bit hash (multiply–fold over little-endian words).
package enum StableHash {
    @inline(__always) static func fold(_ a: UInt64, _ b: UInt64) -> UInt64 {
        let r = a.multipliedFullWidth(by: b)
        return r.high ^ r.low
    }

    package static func hash(_ bytes: UnsafeBufferPointer<UInt8>, seed: UInt64) -> UInt64 {
        let p0: UInt64 = 0xA076_1D64_78BD_642F
        let p1: UInt64 = 0xE703_7ED1_A0B4_28DB
        let p2: UInt64 = 0x8EBC_6AF0_9C88_C6E3
        var h = seed ^ fold(seed ^ p0, UInt64(bytes.count) ^ p1)
        var i = 0
        let n = bytes.count
        let raw = UnsafeRawBufferPointer(bytes)
        while i + 8 <= n {
            let w = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self).littleEndian
            h = fold(h ^ w ^ p1, p2 ^ UInt64(i))
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < n {
            tail |= UInt64(bytes[i]) << shift
            shift += 8
            i += 1
        }
        h = fold(h ^ tail ^ p2, p0 ^ UInt64(n))
        return fold(h ^ p0, h ^ p1)
    }
}
