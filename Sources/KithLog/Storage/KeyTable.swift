import KithCore

/// An open-addressing set of 128-bit event keys: the in-memory idempotency index.
///
/// Keys are already uniform hashes, so the low word picks the slot directly. About 16 bytes per
/// key at ≤ 70 % load; removal (to roll back a failed write) leaves a tombstone.
package struct KeyTable {
    private var slots: [EventKey]
    private var mask: Int
    package private(set) var count = 0
    private var used = 0  // live keys plus tombstones

    private static let empty = EventKey(high: 0, low: 0)
    private static let tombstone = EventKey(high: 0, low: 1)

    package init(capacity: Int = 1 << 16) {
        var size = 16
        while size < capacity * 10 / 7 { size <<= 1 }
        slots = [EventKey](repeating: KeyTable.empty, count: size)
        mask = size - 1
    }

    /// The two keys equal to the slot markers live outside the slots.
    private var hasMarker: (empty: Bool, tombstone: Bool) = (false, false)

    @inline(__always) private static func isMarker(_ key: EventKey) -> Bool { key.high == 0 && key.low <= 1 }

    package func contains(_ key: EventKey) -> Bool {
        if KeyTable.isMarker(key) { return key.low == 0 ? hasMarker.empty : hasMarker.tombstone }
        let k = key
        var i = Int(truncatingIfNeeded: k.low) & mask
        while true {
            let s = slots[i]
            if s == k { return true }
            if s == KeyTable.empty { return false }
            i = (i + 1) & mask
        }
    }

    /// Inserts the key; false if it was already there.
    @discardableResult
    package mutating func insert(_ key: EventKey) -> Bool {
        if KeyTable.isMarker(key) {
            let was = key.low == 0 ? hasMarker.empty : hasMarker.tombstone
            if key.low == 0 { hasMarker.empty = true } else { hasMarker.tombstone = true }
            if !was { count += 1 }
            return !was
        }
        if (used + 1) * 10 > slots.count * 7 { grow() }
        let k = key
        var i = Int(truncatingIfNeeded: k.low) & mask
        var firstTombstone = -1
        while true {
            let s = slots[i]
            if s == k { return false }
            if s == KeyTable.empty { break }
            if s == KeyTable.tombstone && firstTombstone < 0 { firstTombstone = i }
            i = (i + 1) & mask
        }
        if firstTombstone >= 0 {
            slots[firstTombstone] = k
        } else {
            slots[i] = k
            used += 1
        }
        count += 1
        return true
    }

    package mutating func remove(_ key: EventKey) {
        if KeyTable.isMarker(key) {
            let was = key.low == 0 ? hasMarker.empty : hasMarker.tombstone
            if key.low == 0 { hasMarker.empty = false } else { hasMarker.tombstone = false }
            if was { count -= 1 }
            return
        }
        let k = key
        var i = Int(truncatingIfNeeded: k.low) & mask
        while true {
            let s = slots[i]
            if s == k {
                slots[i] = KeyTable.tombstone
                count -= 1
                return
            }
            if s == KeyTable.empty { return }
            i = (i + 1) & mask
        }
    }

    private mutating func grow() {
        let old = slots
        var size = slots.count
        if count * 2 * 10 > size * 7 { size <<= 1 }  // otherwise just sweep tombstones
        slots = [EventKey](repeating: KeyTable.empty, count: size)
        mask = size - 1
        count = (hasMarker.empty ? 1 : 0) + (hasMarker.tombstone ? 1 : 0)
        used = 0
        for s in old where s != KeyTable.empty && s != KeyTable.tombstone {
            var i = Int(truncatingIfNeeded: s.low) & mask
            while slots[i] != KeyTable.empty { i = (i + 1) & mask }
            slots[i] = s
            count += 1
            used += 1
        }
    }
}
