/// What the projector needs from a store: where it stopped, the parts of the identity graph a
/// batch reaches (loaded on demand, so an increment costs what it touches, not what is
/// stored), per-value statistics, and an atomic commit of a batch with its checkpoint. SQLite
/// implements it; a PostgreSQL store can follow without touching projection logic.
public protocol ProjectionStore: Sendable {
    /// The checkpoint, the rules it was built under and how many values are stored; nothing
    /// of the graph itself (a projector makes room for the stored values; a caller that only
    /// wants the checkpoint or the rules pays nothing for them).
    func openingState() throws -> ProjectionState
    /// Stored values by identifier; identifiers the store has never seen are left out.
    func nodes(identifiedBy identifiers: [Identifier]) throws -> [IdentityGraph.Node: IdentityGraph.NodeInfo]
    func nodes(_ ids: [IdentityGraph.Node]) throws -> [IdentityGraph.Node: IdentityGraph.NodeInfo]
    /// Every stored edge at these values, with the identity standing of the values and edges.
    func neighbourhood(of nodes: [IdentityGraph.Node]) throws -> Neighbourhood
    /// The profile ids among these that the store already holds.
    func storedProfileIDs(among ids: [String]) throws -> Set<String>
    func stats(of nodes: [IdentityGraph.Node]) throws -> [IdentityGraph.Node: NodeStats]
    /// When and where stored values were seen (loaded only for the values a batch touches).
    func seen(of nodes: [IdentityGraph.Node]) throws -> [IdentityGraph.Node: NodeSeen]
    /// RFM inputs of stored values (values without orders or refunds are left out).
    func rfmRaw(of nodes: [IdentityGraph.Node]) throws -> [IdentityGraph.Node: RFMRaw]
    /// Writes the batch and moves the checkpoint to `batch.endPosition`, all or nothing.
    func commit(_ batch: ProjectionBatch, rulesHash: String) throws
    /// Fills an empty store in one transaction: `produce` streams values and statistics
    /// (with timelines) into the sink as it makes them (no batch ever holds them all) and returns
    /// the rest; the checkpoint moves to its `endPosition`.
    func commitRebuild(rulesHash: String, _ produce: (any RebuildSink) throws -> ProjectionBatch) throws
    /// Makes `ids` the store's way of naming profiles: an empty store records it; a store whose
    /// ids were made another way has each renamed, the old id kept as an alias of the new.
    func adoptProfileIDs(_ ids: ProfileIDs) throws
    /// Replaces the RFM view with `view`, and records `rules` in the history unless they are
    /// the last ones recorded. Readers see the old view or the new one, never a mix.
    func saveRFM(_ view: RFMView, applying rules: AppliedRules) throws
}

/// Where a one-pass rebuild writes the rows it produces, as it produces them.
public protocol RebuildSink {
    func append(_ node: ProjectionBatch.NodeRow) throws
    /// A value's statistics and the timeline entries of the events anchored at it.
    func append(_ stats: NodeStats, timeline: [UInt8], of node: IdentityGraph.Node) throws
}

/// The stored identity graph around some values: their edges, the accepted and refused links
/// among those edges, and the values' profiles or exclusions.
public struct Neighbourhood: Sendable {
    public typealias Node = IdentityGraph.Node
    public var edges: [(a: Node, b: Node, info: IdentityGraph.EdgeInfo)] = []
    public var links: [UInt64] = []
    public var refused: [(edge: UInt64, rule: String)] = []
    public var membership: [(node: Node, profile: String)] = []
    public var excluded: [(node: Node, standing: IdentityResolver.Standing)] = []

    public init() {}
}

/// The projector's working state: the committed checkpoint and the part of the identity graph
/// loaded so far. Everything here equals the store after each commit.
public struct ProjectionState: Sendable {
    public typealias Node = IdentityGraph.Node
    public var checkpoint: UInt64 = 0
    /// The hash of the line at `checkpoint - 1` when it was projected (nil in stores from
    /// before it was kept).
    public var lastLine: EventKey?
    public var rulesHash: String?
    public var graph = IdentityGraph()
    /// Nodes below this id are stored; their `NodeSeen` is loaded on demand.
    public var storedNodes = 0
    /// Nodes below this id were stored before this projector started and may not be loaded yet.
    public var storedAtOpening = 0
    /// Stored nodes whose edges and standing are in memory (all newer nodes are, by birth).
    public var expanded: Set<Node> = []
    public var membership: [Node: String] = [:]
    /// Profile ids known to exist (a subset of the store's; see `storedProfileIDs(among:)`).
    public var profileIDs: Set<String> = []
    public var excluded: [Node: IdentityResolver.Standing] = [:]
    /// Accepted and refused links by edge key (see `IdentityGraph.key`).
    public var links: Set<UInt64> = []
    public var refused: [UInt64: String] = [:]

    public init() {}

    /// Whether the node's edges and standing are in memory.
    public func isExpanded(_ node: Node) -> Bool { Int(node) >= storedAtOpening || expanded.contains(node) }
}
