/// The read side of a projection store: what lookups, timelines and explanations need.
///
/// A store hands out one consistent state at a time (`reading`), so a view assembled from
/// several reads never mixes two commits. The reads are plain facts (values, memberships,
/// standings, links, timelines); turning them into profiles, pages and explanations is shared
/// code above the port, so every adapter answers the same question the same way.
public protocol ProfileQueries: Sendable {
    /// Runs `body` against one committed state of the store.
    func reading<T>(_ body: (any ProfileSnapshot) throws -> T) throws -> T
    /// What a lookup by `identifier` (normalised) reads, from one committed state; nil when
    /// the store has never seen it. The default makes the snapshot's plain reads; a store
    /// whose reads are round trips answers it in one.
    func lookUp(_ identifier: Identifier) throws -> IdentifierLookup?
    /// The same lookup for a caller on Swift's cooperative threads (a server's request): a
    /// store whose reads wait on a database server awaits the answer instead of holding a
    /// thread. The default runs `lookUp` in place, for stores whose reads are the CPU's work.
    func lookUpConcurrently(_ identifier: Identifier) async throws -> IdentifierLookup?
}

/// One committed state of a projection store, as `ProfileQueries.reading` lends it.
public protocol ProfileSnapshot {
    typealias Node = IdentityGraph.Node

    /// The log position the state was projected up to.
    func checkpoint() throws -> UInt64
    /// Stored values by identifier; identifiers the store has never seen are left out.
    func nodes(identifiedBy identifiers: [Identifier]) throws -> [Node: IdentityGraph.NodeInfo]
    func nodes(_ ids: [Node]) throws -> [Node: IdentityGraph.NodeInfo]
    /// Every stored edge, accepted link and refused link at these values (an edge may be
    /// listed once per end it matched), with the values' profiles and standings.
    func neighbourhood(of nodes: [Node]) throws -> Neighbourhood
    /// The current profile of each value that belongs to one.
    func profiles(of nodes: [Node]) throws -> [Node: String]
    /// The standing of each value that links nothing, as the projector recorded it.
    func standings(of nodes: [Node]) throws -> [Node: IdentityResolver.Standing]
    /// The value a profile id was made from, for every id the store ever gave out.
    func anchor(ofProfileID id: String) throws -> Node?
    /// The merges and splits recorded under a profile id, oldest first.
    func changes(of profile: String) throws -> [ProjectionBatch.Change]
    /// A current profile's values, in ascending order (empty for an unknown profile).
    func members(of profile: String) throws -> [Node]
    /// A current profile's values with everything its view shows of them, by kind, then value
    /// (byte order): what a lookup reads, in one go.
    func values(of profile: String) throws -> [StoredValue]
    /// The encoded timeline entries anchored at each value (see the projections' `TimelineIndex`).
    func timelines(of nodes: [Node]) throws -> [Node: [UInt8]]
    /// The RFM model of the last refresh, if there was one (what a lookup needs of the view).
    func rfmModel() throws -> RFMModel?
    /// The RFM view of the last refresh, if there was one.
    func rfmView() throws -> RFMView?
    /// Hands each profile's RFM inputs to `body` in profile id order (byte order), from the
    /// first id after `after` on, until `body` returns false.
    func forEachProfileRFM(after: String?, _ body: (String, RFMRaw) throws -> Bool) throws
    /// Hands every profile's RFM inputs to `body`, in no promised order and without ids: what a
    /// refresh fits the model to. It runs after every ingest, so it skips reading and ordering
    /// the ids (at 800,000 profiles that was most of the refresh).
    func forEachRFMRaw(_ body: (RFMRaw) throws -> Void) throws
    /// The rules refreshes applied, newest first.
    func rulesApplied() throws -> [AppliedRules]

    // Whole-store scans, for reports over every value (exports, statistics, suspects, replay
    // impact): one pass each, never a query per value.

    /// How many values are stored (ids are dense: `0..<valueCount`).
    func valueCount() throws -> Int
    /// Every stored value, in ascending order.
    func forEachNode(_ body: (Node, IdentityGraph.NodeInfo) throws -> Void) throws
    /// Every value that belongs to a profile, with its profile: grouped by profile, in profile
    /// id order (byte order), each profile's values ascending. So a caller that interns the
    /// profiles meets each once in a row, and can join them with `forEachProfileRFM` in step.
    func forEachMember(_ body: (Node, String) throws -> Void) throws
    /// Every edge (two values seen together), smaller end first, in no particular order.
    func forEachEdge(_ body: (Node, Node, IdentityGraph.EdgeInfo) throws -> Void) throws
    /// Every accepted link, smaller end first, in no particular order.
    func forEachLink(_ body: (Node, Node) throws -> Void) throws
    /// Every refused link with the rule that refused it, smaller end first, in no particular order.
    func forEachRefusedLink(_ body: (Node, Node, String) throws -> Void) throws
    /// Every value that links nothing, with its standing, in no particular order.
    func forEachStanding(_ body: (Node, IdentityResolver.Standing) throws -> Void) throws
    /// Every merge and split, oldest first.
    func forEachChange(_ body: (ProjectionBatch.Change) throws -> Void) throws
    /// Every current profile with its values, in profile id order (byte order); each profile's
    /// values by kind, then value (byte order).
    func forEachProfile(_ body: (String, [StoredValue]) throws -> Void) throws
}

/// A stored value with everything a profile view shows of it.
public struct StoredValue: Sendable {
    public var node: IdentityGraph.Node
    public var info: IdentityGraph.NodeInfo
    public var seen: NodeSeen
    /// Nil for a value no event was anchored at.
    public var stats: NodeStats?

    public init(node: IdentityGraph.Node, info: IdentityGraph.NodeInfo, seen: NodeSeen, stats: NodeStats?) {
        self.node = node
        self.info = info
        self.seen = seen
        self.stats = stats
    }
}

/// A projection store with both its sides: what the projector writes and what lookups read.
/// Every adapter (SQLite, in-memory, PostgreSQL) is one; surfaces hold it as this and never
/// as a concrete type.
public typealias ProfileStore = ProjectionStore & ProfileQueries
