/// The facts of stored values loaded into a graph, by node id, in one open-addressing table: the
/// sparse part of a `NodeColumn`.
///
/// A catch-up over a large store reads these for every value of every event it projects and for
/// every partner it weighs, and the map grows with what it has loaded: at 5,000,000 people, a
/// `Dictionary` here (a SipHash state seeded for each lookup) was 14 % of a batched catch-up's
/// samples. Node ids are the graph's own dense numbers, so one multiplication spreads them.
@usableFromInline
struct StoredNodeMap<Element: Sendable>: Sendable {
    /// Per slot: the node, or -1 when free.
    @usableFromInline var keys: [Int32]
    @usableFromInline var values: [Element]
    /// 64 minus the base-2 logarithm of the capacity: a hash's top bits pick the slot.
    @usableFromInline var shift: UInt64
    @usableFromInline var count = 0
    /// What a free slot holds (never read as a value).
    @usableFromInline let filler: Element

    @usableFromInline init(filler: Element) {
        keys = [Int32](repeating: -1, count: 16)
        values = [Element](repeating: filler, count: 16)
        shift = 60
        self.filler = filler
    }

    /// The slot holding `key`, or the free slot where it belongs.
    @inlinable @inline(__always)
    func slot(of key: Int32) -> Int {
        let mask = keys.count &- 1
        var i = Int(truncatingIfNeeded: (UInt64(UInt32(bitPattern: key)) &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let k = keys[i]
            if k == key || k == -1 { return i }
            i = (i &+ 1) & mask
        }
    }

    @inlinable subscript(key: Int32) -> Element? {
        let i = slot(of: key)
        return keys[i] == key ? values[i] : nil
    }

    @inlinable mutating func set(_ key: Int32, to value: Element) {
        let i = slot(of: key)
        if keys[i] == key {
            values[i] = value
        } else {
            _ = insert(key, value, at: i)
        }
    }

    /// Changes `key`'s value in place, starting from `initial` when it has none.
    @inlinable @inline(__always)
    mutating func modify<Result>(_ key: Int32, from initial: Element, _ body: (inout Element) -> Result) -> Result {
        var i = slot(of: key)
        if keys[i] != key { i = insert(key, initial, at: i) }
        return body(&values[i])
    }

    /// Puts a new key in free slot `i`; returns its slot afterwards (it moves when the table grows).
    @usableFromInline mutating func insert(_ key: Int32, _ value: Element, at i: Int) -> Int {
        precondition(key >= 0, "node \(key) is not a value of a graph")
        keys[i] = key
        values[i] = value
        count += 1
        // At most 70 % full: linear probes stay short.
        guard count * 10 > keys.count * 7 else { return i }
        let oldKeys = keys
        let oldValues = values
        keys = [Int32](repeating: -1, count: oldKeys.count * 2)
        values = [Element](repeating: filler, count: oldKeys.count * 2)
        shift -= 1
        for j in oldKeys.indices where oldKeys[j] >= 0 {
            let s = slot(of: oldKeys[j])
            keys[s] = oldKeys[j]
            values[s] = oldValues[j]
        }
        return slot(of: key)
    }
}
