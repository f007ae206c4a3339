/// Everything one projection batch changes, written with its checkpoint in one transaction.
public struct ProjectionBatch: Sendable {
    public typealias Node = IdentityGraph.Node

    public struct NodeRow: Sendable {
        public var node: Node
        public var info: IdentityGraph.NodeInfo
        public var seen: NodeSeen

        public init(node: Node, info: IdentityGraph.NodeInfo, seen: NodeSeen) {
            self.node = node
            self.info = info
            self.seen = seen
        }
    }

    public struct Change: Sendable, Equatable {
        /// Stable stored codes (never renumbered: stores keep them).
        public enum Kind: Int, Sendable {
            case merged = 1
            case split = 2
        }
        public var position: UInt64
        public var kind: Kind
        public var profile: String
        public var others: [String]

        public init(position: UInt64, kind: Kind, profile: String, others: [String]) {
            self.position = position
            self.kind = kind
            self.profile = profile
            self.others = others
        }
    }

    public var endPosition: UInt64 = 0
    /// The hash of the log's line at `endPosition - 1`, kept with the checkpoint so a later
    /// catch-up can tell that the log it continues is still the one it projected.
    public var lastLine: EventKey?
    public var nodes: [NodeRow] = []
    public var edges: [(Node, Node, IdentityGraph.EdgeInfo)] = []
    public var stats: [(Node, NodeStats)] = []
    /// The timeline entries of this batch's events, by anchor (appended to the stored ones).
    public var timeline: [Node: [UInt8]] = [:]
    /// Changes only: rows whose value differs from what the store holds.
    public var membership: [(Node, String)] = []
    public var membershipRemoved: [Node] = []
    public var excluded: [(Node, IdentityResolver.Standing)] = []
    public var excludedRemoved: [Node] = []
    public var linksAdded: [UInt64] = []
    public var linksRemoved: [UInt64] = []
    public var refused: [(UInt64, String)] = []
    public var refusedRemoved: [UInt64] = []
    public var newProfiles: [(id: String, anchor: Node, position: UInt64)] = []
    public var changes: [Change] = []
    /// RFM inputs of the values this batch anchored events at (non-zero ones only).
    public var nodeRFM: [(Node, RFMRaw)] = []
    /// Every recomputed profile's RFM inputs, and the profiles that no longer exist.
    public var profileRFM: [(String, RFMRaw)] = []
    public var profileRFMRemoved: [String] = []

    public init() {}
}

/// When and where an identifier value was seen (for the unified view).
public struct NodeSeen: Sendable, Equatable {
    public var firstSeen: Timestamp?
    public var lastSeen: Timestamp?
    public var sources: Set<String> = []

    public init(firstSeen: Timestamp? = nil, lastSeen: Timestamp? = nil, sources: Set<String> = []) {
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.sources = sources
    }

    package mutating func add(_ at: Timestamp, source: String) {
        if firstSeen.map({ at < $0 }) ?? true { firstSeen = at }
        if lastSeen.map({ $0 < at }) ?? true { lastSeen = at }
        sources.insert(source)
    }
}
