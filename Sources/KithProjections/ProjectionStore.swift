import KithCore

/// What the projector needs from a store: its saved state, per-value statistics, and an atomic
/// commit of a batch with its checkpoint. SQLite implements it; a PostgreSQL store can follow
/// without touching projection logic.
public protocol ProjectionStore: Sendable {
    func loadState() throws -> ProjectionState
    func stats(of nodes: [IdentityGraph.Node]) throws -> [IdentityGraph.Node: NodeStats]
    /// When and where stored values were seen (loaded only for the values a batch touches).
    func seen(of nodes: [IdentityGraph.Node]) throws -> [IdentityGraph.Node: NodeSeen]
    /// RFM inputs of stored values (values without orders or refunds are left out).
    func rfmRaw(of nodes: [IdentityGraph.Node]) throws -> [IdentityGraph.Node: RFMRaw]
    /// Writes the batch and moves the checkpoint to `batch.endPosition`, all or nothing.
    func commit(_ batch: ProjectionBatch, rulesHash: String) throws
}

/// The projector's working state, as last committed.
public struct ProjectionState: Sendable {
    public typealias Node = IdentityGraph.Node
    public var checkpoint: UInt64 = 0
    public var rulesHash: String?
    public var graph = IdentityGraph()
    /// Nodes below this id are stored; their `NodeSeen` is loaded on demand.
    public var storedNodes = 0
    public var membership: [Node: String] = [:]
    public var profileIDs: Set<String> = []
    public var excluded: [Node: String] = [:]
    /// Accepted and refused links by edge key (see `IdentityGraph.key`).
    public var links: Set<UInt64> = []
    public var refused: [UInt64: String] = [:]

    public init() {}
}
