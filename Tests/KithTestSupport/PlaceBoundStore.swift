import KithCore

/// A store that keeps the place it came from alive as long as it is: a PostgreSQL place drops
/// its schema when it goes, and a test may let the place go while it still reads the store (a
/// SQLite file, unlinked, stays readable through the handle; a dropped schema does not).
final class PlaceBoundStore: ProjectionStore, ProfileQueries, @unchecked Sendable {
    // @unchecked: `place` is only held, never used.
    let store: any ProfileStore
    let place: AnyObject

    init(_ store: any ProfileStore, place: AnyObject) {
        self.store = store
        self.place = place
    }

    func openingState() throws -> ProjectionState { try store.openingState() }
    func nodes(identifiedBy identifiers: [Identifier]) throws -> [IdentityGraph.Node: IdentityGraph.NodeInfo] {
        try store.nodes(identifiedBy: identifiers)
    }
    func nodes(_ ids: [IdentityGraph.Node]) throws -> [IdentityGraph.Node: IdentityGraph.NodeInfo] {
        try store.nodes(ids)
    }
    func neighbourhood(of nodes: [IdentityGraph.Node]) throws -> Neighbourhood { try store.neighbourhood(of: nodes) }
    func storedProfileIDs(among ids: [String]) throws -> Set<String> { try store.storedProfileIDs(among: ids) }
    func stats(of nodes: [IdentityGraph.Node]) throws -> [IdentityGraph.Node: NodeStats] { try store.stats(of: nodes) }
    func seen(of nodes: [IdentityGraph.Node]) throws -> [IdentityGraph.Node: NodeSeen] { try store.seen(of: nodes) }
    func rfmRaw(of nodes: [IdentityGraph.Node]) throws -> [IdentityGraph.Node: RFMRaw] { try store.rfmRaw(of: nodes) }
    func commit(_ batch: ProjectionBatch, rulesHash: String) throws { try store.commit(batch, rulesHash: rulesHash) }
    func commitRebuild(rulesHash: String, _ produce: (any RebuildSink) throws -> ProjectionBatch) throws {
        try store.commitRebuild(rulesHash: rulesHash, produce)
    }
    func adoptProfileIDs(_ ids: ProfileIDs) throws { try store.adoptProfileIDs(ids) }
    func saveRFM(_ view: RFMView, applying rules: AppliedRules) throws { try store.saveRFM(view, applying: rules) }
    func reading<T>(_ body: (any ProfileSnapshot) throws -> T) throws -> T { try store.reading(body) }
}
