/// The identity graph's edges by key (`IdentityGraph.key`), in one open-addressing table.
///
/// Every event looks up the edge between each pair of its values: about two lookups an event,
/// four million in a rebuild at 200,000 people. A `Dictionary` seeds and runs SipHash for each;
/// these keys are two node ids that nobody outside chooses, so a multiplicative hash spreads
/// them as well at a fraction of the cost.
///
/// For example:
/// ```swift
/// var edges = EdgeTable()
/// edges.observe(IdentityGraph.key(3, 7), at: 12)   // true: a new edge
/// edges[IdentityGraph.key(3, 7)]?.count              // 1
/// ```
struct EdgeTable: Sendable {
    typealias EdgeInfo = IdentityGraph.EdgeInfo

    /// A slot's key when it holds no edge: no edge has it (its two ends would both be node
    /// -1, which `IdentityGraph` never makes).
    private static let free = UInt64.max
    private var keys: [UInt64]
    private var infos: [EdgeInfo]
    /// 64 minus the base-2 logarithm of the capacity: a hash's top bits pick the slot.
    private var shift: UInt64
    /// Edges held.
    private(set) var count = 0

    init() {
        keys = [UInt64](repeating: EdgeTable.free, count: 16)
        infos = [EdgeInfo](repeating: EdgeInfo(count: 0, firstEvidence: 0), count: 16)
        shift = 60
    }

    /// The slot holding `key`, or the free slot where it belongs.
    @inline(__always)
    private func slot(of key: UInt64) -> Int {
        let mask = keys.count &- 1
        var i = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let k = keys[i]
            if k == key || k == EdgeTable.free { return i }
            i = (i &+ 1) & mask
        }
    }

    subscript(key: UInt64) -> EdgeInfo? {
        let i = slot(of: key)
        return keys[i] == key ? infos[i] : nil
    }

    /// Counts one more event carrying both ends of `key`, seen at `position`; true when the
    /// edge is new.
    @discardableResult
    mutating func observe(_ key: UInt64, at position: UInt64) -> Bool {
        let i = slot(of: key)
        if keys[i] == key {
            infos[i].count += 1
            if position < infos[i].firstEvidence { infos[i].firstEvidence = position }
            return false
        }
        place(key, EdgeInfo(count: 1, firstEvidence: position), at: i)
        return true
    }

    /// Adds `key` with `info` unless the table holds it already; true when added.
    mutating func insertIfAbsent(_ key: UInt64, _ info: EdgeInfo) -> Bool {
        let i = slot(of: key)
        guard keys[i] != key else { return false }
        place(key, info, at: i)
        return true
    }

    /// Every edge, in key order.
    func sorted() -> [(key: UInt64, info: EdgeInfo)] {
        var out: [(key: UInt64, info: EdgeInfo)] = []
        out.reserveCapacity(count)
        for i in keys.indices where keys[i] != EdgeTable.free { out.append((keys[i], infos[i])) }
        out.sort { $0.key < $1.key }
        return out
    }

    private mutating func place(_ key: UInt64, _ info: EdgeInfo, at i: Int) {
        precondition(key != EdgeTable.free, "an edge key of two nodes -1")
        keys[i] = key
        infos[i] = info
        count += 1
        // At most 70 % full: linear probes stay short.
        if count * 10 > keys.count * 7 { grow() }
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldInfos = infos
        keys = [UInt64](repeating: EdgeTable.free, count: oldKeys.count * 2)
        infos = [EdgeInfo](repeating: EdgeInfo(count: 0, firstEvidence: 0), count: oldKeys.count * 2)
        shift -= 1
        for j in oldKeys.indices where oldKeys[j] != EdgeTable.free {
            let i = slot(of: oldKeys[j])
            keys[i] = oldKeys[j]
            infos[i] = oldInfos[j]
        }
    }
}
