/// A hash table keyed by integers that nobody outside chooses (node ids, edge keys), in one
/// open-addressing array with linear probes: what the identity graph keeps per node and per edge.
///
/// A `Dictionary` seeds and runs SipHash for every lookup; the projector makes millions of them,
/// and these keys are the graph's own dense numbers, so one multiplication spreads them as well.
/// One key value (`free`) marks an empty slot and is never stored.
///
/// For example:
/// ```swift
/// var counts = IntegerKeyTable<Int32, Int>(free: -1, filler: 0)
/// counts.modify(7, from: 0) { $0 += 1 }
/// counts[7]   // 1
/// ```
@usableFromInline
struct IntegerKeyTable<Key: FixedWidthInteger & Sendable, Value: Sendable>: Sendable {
    @usableFromInline var keys: [Key]
    @usableFromInline var values: [Value]
    /// 64 minus the base-2 logarithm of the capacity: a hash's top bits pick the slot.
    @usableFromInline var shift: UInt64
    /// Keys held.
    @usableFromInline var count = 0
    /// The key of an empty slot.
    @usableFromInline let free: Key
    /// What an empty slot's value holds (never read as a value).
    @usableFromInline let filler: Value

    @usableFromInline init(free: Key, filler: Value) {
        keys = [Key](repeating: free, count: 16)
        values = [Value](repeating: filler, count: 16)
        shift = 60
        self.free = free
        self.filler = filler
    }

    /// The slot holding `key`, or the empty slot where it belongs.
    @inlinable @inline(__always)
    func slot(of key: Key) -> Int {
        let mask = keys.count &- 1
        var i = Int(truncatingIfNeeded: (UInt64(truncatingIfNeeded: key) &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let k = keys[i]
            if k == key || k == free { return i }
            i = (i &+ 1) & mask
        }
    }

    @inlinable subscript(key: Key) -> Value? {
        let i = slot(of: key)
        return keys[i] == key ? values[i] : nil
    }

    /// Sets `key`'s value; true when the key is new.
    @inlinable @discardableResult
    mutating func set(_ key: Key, to value: Value) -> Bool {
        let i = slot(of: key)
        if keys[i] == key {
            values[i] = value
            return false
        }
        _ = insert(key, value, at: i)
        return true
    }

    /// Adds `key` with `value` unless it is held already; true when added.
    @inlinable
    mutating func insertIfAbsent(_ key: Key, _ value: Value) -> Bool {
        let i = slot(of: key)
        guard keys[i] != key else { return false }
        _ = insert(key, value, at: i)
        return true
    }

    /// Changes `key`'s value in place, starting from `initial` when it has none.
    @inlinable @inline(__always)
    mutating func modify<Result>(_ key: Key, from initial: Value, _ body: (inout Value) -> Result) -> Result {
        var i = slot(of: key)
        if keys[i] != key { i = insert(key, initial, at: i) }
        return body(&values[i])
    }

    /// Every key and its value, in no particular order.
    func entries() -> [(key: Key, value: Value)] {
        var out: [(key: Key, value: Value)] = []
        out.reserveCapacity(count)
        forEach { out.append(($0, $1)) }
        return out
    }

    /// Calls `body` with every key and its value, in no particular order: a pass over the slots,
    /// without a probe.
    func forEach(_ body: (Key, Value) -> Void) {
        for i in keys.indices where keys[i] != free { body(keys[i], values[i]) }
    }

    /// Puts a new key in empty slot `i`; returns its slot afterwards (it moves when the table grows).
    @usableFromInline mutating func insert(_ key: Key, _ value: Value, at i: Int) -> Int {
        precondition(key != free, "\(key) marks an empty slot and cannot be a key")
        keys[i] = key
        values[i] = value
        count += 1
        // At most 70 % full: linear probes stay short.
        guard count * 10 > keys.count * 7 else { return i }
        let oldKeys = keys
        let oldValues = values
        keys = [Key](repeating: free, count: oldKeys.count * 2)
        values = [Value](repeating: filler, count: oldKeys.count * 2)
        shift -= 1
        for j in oldKeys.indices where oldKeys[j] != free {
            let s = slot(of: oldKeys[j])
            keys[s] = oldKeys[j]
            values[s] = oldValues[j]
        }
        return slot(of: key)
    }
}
