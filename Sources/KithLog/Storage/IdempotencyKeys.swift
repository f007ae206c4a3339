import KithCore

/// The key of every record in the log, for idempotent appends.
///
/// Sealed segments' keys stay in their sorted `.keys` arrays and are searched (`search`),
/// so opening a log of millions of events costs a read of those files, not the building of a
/// hash table over all of them (that was most of a small ingest's time). Once lookups are many
/// (a bulk ingest), the sealed arrays are merged into one. Keys of the active segment and of
/// everything appended since opening live in a hash table.
package struct IdempotencyKeys {
    private var recent: KeyTable
    private var sealed: [SealedKeys]
    private var lookups = 0
    /// Lookups after which the sealed arrays are merged into one (a bulk ingest).
    static let mergeAfter = 20_000

    /// `sealed`: each segment's keys, sorted (`EventKey.precedes`).
    package init(sealed: [SealedKeys], active: [EventKey]) {
        self.sealed = sealed.filter { $0.count > 0 }
        recent = KeyTable(capacity: max(1 << 16, active.count * 2))
        for k in active { recent.insert(k) }
    }

    /// `sealed`: each segment's keys, sorted, as arrays.
    package init(sealed: [[EventKey]], active: [EventKey]) {
        self.init(sealed: sealed.map(SealedKeys.init(owning:)), active: active)
    }

    package var count: Int { recent.count + sealed.reduce(0) { $0 + $1.count } }

    package mutating func contains(_ key: EventKey) -> Bool {
        recent.contains(key) || sealedContains(key)
    }

    /// Inserts the keys in order; for each, false if it was already in the log (or earlier in
    /// `keys`). The sealed segments are searched for all the keys at once (`sealedHits`).
    package mutating func insert(contentsOf keys: [EventKey]) -> [Bool] {
        var fresh = sealedHits(keys).map { !$0 }
        for i in keys.indices where fresh[i] { fresh[i] = recent.insert(keys[i]) }
        return fresh
    }

    /// For each key, whether a sealed segment holds it.
    ///
    /// The keys are looked up in key order, so each segment's keys are swept once, forward,
    /// galloping from one answer to the next. Searched one by one, each key cost a few cache
    /// and TLB misses in every segment: a tenth of a 10,000-event ingest at 8.8M events.
    private mutating func sealedHits(_ keys: [EventKey]) -> [Bool] {
        var hits = [Bool](repeating: false, count: keys.count)
        guard !sealed.isEmpty, !keys.isEmpty else { return hits }
        lookups += keys.count
        if lookups >= Self.mergeAfter, sealed.count > 1 { sealed = [SealedKeys(owning: Self.merged(sealed))] }
        let order = keys.indices.sorted { keys[$0].precedes(keys[$1]) }
        for segment in sealed {
            segment.withKeys { k in
                // Every entry before `start` precedes the keys still to come.
                var start = 0
                for i in order {
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

    private mutating func sealedContains(_ key: EventKey) -> Bool {
        lookups += 1
        if lookups >= Self.mergeAfter, sealed.count > 1 { sealed = [SealedKeys(owning: Self.merged(sealed))] }
        for keys in sealed where keys.withKeys({ Self.search($0, key) }) { return true }
        return false
    }

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

    /// One sorted array from each segment's sorted keys.
    static func merged(_ sealed: [SealedKeys]) -> [EventKey] {
        merged(sealed.map { $0.withKeys(Array.init) })
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
