/// The identity graph's edges by key (`IdentityGraph.key`): every event looks up the edge between
/// each pair of its values, about four million lookups in a rebuild at 200,000 people, so they live
/// in an `IntegerKeyTable` rather than a `Dictionary`.
///
/// For example:
/// ```swift
/// var edges = EdgeTable()
/// edges.observe(IdentityGraph.key(3, 7), at: 12)   // true: a new edge
/// edges[IdentityGraph.key(3, 7)]?.count              // 1
/// ```
struct EdgeTable: Sendable {
    typealias EdgeInfo = IdentityGraph.EdgeInfo

    // No edge has key `UInt64.max`: both its ends would be node -1, which a graph never makes.
    private var table = IntegerKeyTable<UInt64, EdgeInfo>(
        free: .max, filler: EdgeInfo(count: 0, firstEvidence: 0))

    /// Edges held.
    var count: Int { table.count }

    subscript(key: UInt64) -> EdgeInfo? { table[key] }

    /// Counts one more event carrying both ends of `key`, seen at `position`; true when the
    /// edge is new.
    @discardableResult
    mutating func observe(_ key: UInt64, at position: UInt64) -> Bool {
        table.modify(key, from: EdgeInfo(count: 0, firstEvidence: .max)) { e in
            e.count += 1
            if position < e.firstEvidence { e.firstEvidence = position }
            // New when this is its first event: an edge restored from a store has at least one.
            return e.count == 1
        }
    }

    /// Adds `key` with `info` unless the table holds it already; true when added.
    mutating func insertIfAbsent(_ key: UInt64, _ info: EdgeInfo) -> Bool { table.insertIfAbsent(key, info) }

    /// Calls `body` with every edge, in no particular order.
    func forEach(_ body: (UInt64, EdgeInfo) -> Void) { table.forEach(body) }

    /// Every edge, in key order.
    func sorted() -> [(key: UInt64, value: EdgeInfo)] { table.entries().sorted { $0.key < $1.key } }
}
