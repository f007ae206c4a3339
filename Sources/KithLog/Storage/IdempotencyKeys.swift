import KithCore

/// The key of every record in the log, for idempotent appends.
///
/// Sealed segments' keys stay in their sorted `.keys` arrays and are looked up by binary search,
/// so opening a log of millions of events costs a read of those files, not the building of a
/// hash table over all of them (that was most of a small ingest's time). Once lookups are many
/// (a bulk ingest), the sealed arrays are merged into one. Keys of the active segment and of
/// everything appended since opening live in a hash table.
package struct IdempotencyKeys {
    private var recent: KeyTable
    private var sealed: [[EventKey]]
    private var lookups = 0
    /// Lookups after which the sealed arrays are merged into one (a bulk ingest).
    static let mergeAfter = 20_000

    /// `sealed`: each segment's keys, sorted (`EventKey.precedes`).
    package init(sealed: [[EventKey]], active: [EventKey]) {
        self.sealed = sealed.filter { !$0.isEmpty }
        recent = KeyTable(capacity: max(1 << 16, active.count * 2))
        for k in active { recent.insert(k) }
    }

    package var count: Int { recent.count + sealed.reduce(0) { $0 + $1.count } }

    package mutating func contains(_ key: EventKey) -> Bool {
        recent.contains(key) || sealedContains(key)
    }

    /// Inserts the key; false if it was already in the log.
    package mutating func insert(_ key: EventKey) -> Bool {
        if sealedContains(key) { return false }
        return recent.insert(key)
    }

    /// Forgets a key inserted since opening (its append failed).
    package mutating func remove(_ key: EventKey) { recent.remove(key) }

    private mutating func sealedContains(_ key: EventKey) -> Bool {
        lookups += 1
        if lookups == Self.mergeAfter, sealed.count > 1 { sealed = [Self.merged(sealed)] }
        for keys in sealed where Self.binarySearch(keys, key) { return true }
        return false
    }

    static func binarySearch(_ keys: [EventKey], _ key: EventKey) -> Bool {
        keys.withUnsafeBufferPointer { k in
            var low = 0
            var high = k.count
            while low < high {
                let mid = (low + high) >> 1
                if k[mid].precedes(key) { low = mid + 1 } else { high = mid }
            }
            return low < k.count && k[low] == key
        }
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
