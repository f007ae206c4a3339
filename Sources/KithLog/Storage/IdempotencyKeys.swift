import KithCore

/// The key of every record in the log, for idempotent appends.
///
/// Most sealed segments' keys are in the key index (`KeyIndex`), one sorted array searched
/// per key, so an increment's check costs the same however long the log is. Segments sealed
/// since the index was made keep their sorted `.keys` arrays, searched the same way. Once
/// lookups are many (a bulk ingest), everything sealed is merged into one array. Keys of the
/// active segment and of everything appended since opening live in a hash table.
package struct IdempotencyKeys {
    private var recent: KeyTable
    private var index: KeyIndex?
    /// The keys the index holds, read from the segments' own `.keys` files instead: for when a
    /// block of the index fails its CRC (the opener also removes the file, to be made again).
    private var withoutIndex: () throws -> [SealedKeys]
    private var sealed: [SealedKeys]
    private var lookups = 0
    /// Lookups after which the sealed arrays are merged into one (a bulk ingest).
    static let mergeAfter = 20_000

    /// `index`: the keys of the first sealed segments; `sealed`: each later sealed segment's
    /// keys, sorted (`EventKey.precedes`).
    package init(
        index: KeyIndex? = nil, withoutIndex: @escaping () throws -> [SealedKeys] = { [] }, sealed: [SealedKeys],
        active: [EventKey]
    ) {
        self.index = index
        self.withoutIndex = withoutIndex
        self.sealed = sealed.filter { $0.count > 0 }
        recent = KeyTable(capacity: max(1 << 16, active.count * 2))
        for k in active { recent.insert(k) }
    }

    /// `sealed`: each segment's keys, sorted, as arrays.
    package init(sealed: [[EventKey]], active: [EventKey]) {
        self.init(sealed: sealed.map(SealedKeys.init(owning:)), active: active)
    }

    package var count: Int { recent.count + (index?.count ?? 0) + sealed.reduce(0) { $0 + $1.count } }

    package mutating func contains(_ key: EventKey) throws -> Bool {
        if recent.contains(key) { return true }
        lookups += 1
        try mergeIfMany()
        if let index {
            do {
                if try index.contains(key) { return true }
            } catch {
                try dropIndex()
                return try contains(key)
            }
        }
        for keys in sealed where keys.withKeys({ Self.search($0, key) }) { return true }
        return false
    }

    /// Inserts the keys in order; for each, false if it was already in the log (or earlier in
    /// `keys`). The sealed segments are searched for all the keys at once (`sealedHits`).
    package mutating func insert(contentsOf keys: [EventKey]) throws -> [Bool] {
        var fresh = try sealedHits(keys).map { !$0 }
        for i in keys.indices where fresh[i] { fresh[i] = recent.insert(keys[i]) }
        return fresh
    }

    /// Reads the index's keys from the segments instead.
    private mutating func dropIndex() throws {
        guard index != nil else { return }
        index = nil
        sealed = try withoutIndex().filter { $0.count > 0 } + sealed
    }

    /// Merges the index and the sealed arrays into one array once lookups are many.
    private mutating func mergeIfMany() throws {
        guard lookups >= Self.mergeAfter, sealed.count + (index == nil ? 0 : 1) > 1 else { return }
        var arrays = sealed.map { $0.withKeys(Array.init) }
        if let index {
            do { arrays.insert(try index.allKeys(), at: 0) } catch {
                try dropIndex()
                return try mergeIfMany()
            }
        }
        index = nil
        sealed = [SealedKeys(owning: Self.merged(arrays))]
    }

    /// For each key, whether the index or a sealed segment holds it.
    ///
    /// The index is searched key by key. The segments' keys are looked up in key order, so each
    /// segment's keys are swept once, forward, galloping from one answer to the next. Searched
    /// one by one, each key cost a few cache and TLB misses in every segment: a tenth of a
    /// 10,000-event ingest at 8.8M events.
    private mutating func sealedHits(_ keys: [EventKey]) throws -> [Bool] {
        var hits = [Bool](repeating: false, count: keys.count)
        guard !keys.isEmpty, index != nil || !sealed.isEmpty else { return hits }
        lookups += keys.count
        try mergeIfMany()
        let order = keys.indices.sorted { keys[$0].precedes(keys[$1]) }
        if let index {
            // In key order, so the pages of the index are read front to back: a page fault
            // maps its neighbours too, and a later lookup finds them mapped (at 7 million keys,
            // 10,000 lookups took 22 ms instead of 28).
            do {
                for i in order { hits[i] = try index.contains(keys[i]) }
            } catch {
                try dropIndex()
                return try sealedHits(keys)
            }
        }
        guard !sealed.isEmpty else { return hits }
        for segment in sealed {
            segment.withKeys { k in
                // Every entry before `start` precedes the keys still to come.
                var start = 0
                for i in order where !hits[i] {
                    let key = keys[i]
                    var low = start
                    var bound = low
                    var step = 1
                    while bound < k.count && k[bound].precedes(key) {
                        low = bound + 1
                        bound = low + step
                        step <<= 1
                    }
                    var high = min(bound, k.count)
                    while low < high {
                        let mid = (low + high) >> 1
                        if k[mid].precedes(key) { low = mid + 1 } else { high = mid }
                    }
                    if low < k.count && k[low] == key { hits[i] = true }
                    start = low
                }
            }
        }
        return hits
    }

    /// Forgets a key inserted since opening (its append failed).
    package mutating func remove(_ key: EventKey) { recent.remove(key) }

    /// Whether the sorted keys hold `key`. Keys are hashes, so their `high` halves are spread
    /// evenly: a probe placed by interpolation lands within a few entries of the answer, and a
    /// lookup touches three or four places of a segment's keys where bisection touched twenty.
    /// Any probe that fails to halve the range is followed by a bisection, so keys that are not
    /// spread evenly cost at most twice a binary search.
    static func search(_ keys: [EventKey], _ key: EventKey) -> Bool {
        keys.withUnsafeBufferPointer { search($0, key) }
    }

    static func search(_ k: UnsafeBufferPointer<EventKey>, _ key: EventKey) -> Bool {
        // Every entry before `low` precedes the key; none from `high` on does.
        var low = 0
        var high = k.count
        var bisect = false
        while low < high {
            let width = high - low
            var probe = low + width / 2
            if !bisect, width > 2 {
                let first = k[low].high
                let last = k[high - 1].high
                if first < key.high && key.high < last {
                    let fraction = Double(key.high - first) / Double(last - first)
                    probe = low + min(width - 1, max(0, Int(fraction * Double(width - 1))))
                }
            }
            if k[probe].precedes(key) { low = probe + 1 } else { high = probe }
            bisect = !bisect && (high - low) * 2 > width
        }
        return low < k.count && k[low] == key
    }

    /// One sorted array from sorted arrays, merged pairwise.
    static func merged(_ arrays: [[EventKey]]) -> [EventKey] {
        var runs = arrays
        while runs.count > 1 {
            var next: [[EventKey]] = []
            next.reserveCapacity((runs.count + 1) / 2)
            var i = 0
            while i + 1 < runs.count {
                next.append(merge(runs[i], runs[i + 1]))
                i += 2
            }
            if i < runs.count { next.append(runs[i]) }
            runs = next
        }
        return runs.first ?? []
    }

    private static func merge(_ a: [EventKey], _ b: [EventKey]) -> [EventKey] {
        var out: [EventKey] = []
        out.reserveCapacity(a.count + b.count)
        var i = 0
        var j = 0
        while i < a.count && j < b.count {
            if b[j].precedes(a[i]) {
                out.append(b[j])
                j += 1
            } else {
                out.append(a[i])
                i += 1
            }
        }
        out.append(contentsOf: a[i...])
        out.append(contentsOf: b[j...])
        return out
    }
}

extension EventKey {
    /// The order of keys in `.keys` files: by `high`, then `low`.
    @inline(__always) package func precedes(_ other: EventKey) -> Bool {
        high < other.high || (high == other.high && low < other.low)
    }
}
