import KithCore

/// `Projector.settle` for a rebuild, made apart from the batch it goes into: neither the store
/// nor the projector holds anything yet, so every link, refusal, exclusion, membership and
/// profile is new and nothing is compared with what was there. It needs only the graph and its
/// resolution, so a rebuild makes it on a second thread while the values' rows are written;
/// the profiles' summed RFM inputs, which need those rows' statistics, are added last.
struct WholeGraphSettlement: Sendable {
    typealias Node = IdentityGraph.Node
    /// Accepted and refused links.
    let linkDecisions: Int
    let edges: [(Node, Node, IdentityGraph.EdgeInfo)]
    let linksAdded: [UInt64]
    let refused: [(UInt64, String)]
    let excluded: [(Node, IdentityResolver.Standing)]
    /// Each component's profile id, and each value's component (-1: none).
    let ids: [String]
    let componentOf: [Int32]
    /// The components in profile id order; two whose ids collide stay in component order.
    let byID: [Int]
    /// Each component's anchor (its first value) and when the anchor was first seen.
    let anchors: [(node: Node, firstSeen: UInt64)]
    let membership: [(Node, String)]

    init(_ resolution: IdentityResolver.Resolution, of graph: IdentityGraph, profileIDs: ProfileIDs) {
        linkDecisions = resolution.accepted.count + resolution.refused.count
        edges = graph.sortedEdges()
        linksAdded = resolution.accepted.map { IdentityGraph.key($0.a, $0.b) }.sorted()
        var refusedByKey: [UInt64: String] = [:]
        for r in resolution.refused { refusedByKey[IdentityGraph.key(r.link.a, r.link.b)] = r.rule }
        refused = refusedByKey.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        excluded = resolution.excluded.map { ($0.node, $0.standing) }.sorted { $0.0 < $1.0 }
        let components = resolution.components
        var ids: [String] = []
        ids.reserveCapacity(components.count)
        var componentOf = [Int32](repeating: -1, count: graph.nodeCount)
        for (c, component) in components.enumerated() {
            ids.append(profileIDs.of(graph.nodes[Int(component[0])].identifier))
            for n in component { componentOf[Int(n)] = Int32(c) }
        }
        byID = components.indices.sorted { ids[$0] < ids[$1] }
        anchors = components.map { ($0[0], graph.firstSeen(of: $0[0])) }
        var membership: [(Node, String)] = []
        membership.reserveCapacity(graph.nodeCount)
        for (n, c) in componentOf.enumerated() where c >= 0 { membership.append((Node(n), ids[Int(c)])) }
        self.membership = membership
        self.ids = ids
        self.componentOf = componentOf
    }

    /// Puts the settlement in `batch`, with each profile's RFM inputs summed from the values'
    /// (`batch.nodeRFM`, listed by then).
    func write(into batch: inout ProjectionBatch) {
        batch.edges = edges
        batch.linksAdded = linksAdded
        batch.refused = refused
        batch.excluded = excluded
        // Summed in node order, as the values' inputs are listed: RFM inputs add up the same in
        // any order (see `RFMRaw.add`).
        var raws = [RFMRaw](repeating: RFMRaw(), count: ids.count)
        for (n, raw) in batch.nodeRFM where componentOf[Int(n)] >= 0 { raws[Int(componentOf[Int(n)])].add(raw) }
        // Rows in key order, so each table grows at its end instead of splitting pages all over.
        // Two components whose ids collide stay in order (the sort is stable): the first one's
        // anchor names the profile and the last one's RFM inputs stand, as they always have.
        for (k, c) in byID.enumerated() {
            if k == 0 || ids[byID[k - 1]] != ids[c] {
                batch.newProfiles.append((ids[c], anchors[c].node, anchors[c].firstSeen))
            }
            if k == byID.count - 1 || ids[byID[k + 1]] != ids[c] { batch.profileRFM.append((ids[c], raws[c])) }
        }
        batch.membership = membership
    }
}
