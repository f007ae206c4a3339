/// Identifier values as nodes and their co-occurrence on events as edges, with enough evidence
/// to explain every link. Profiles are computed from it (`IdentityResolver`), never unioned
/// forever, so a value that turns out to be shared can split what it wrongly joined.
///
/// For example:
/// ```swift
/// var graph = IdentityGraph()
/// graph.observe([.init(.phone, "+8613800138000"), .init(.memberID, "M-1")], at: 0)
/// ```
public struct IdentityGraph: Sendable {
    public typealias Node = Int32
    /// A kind's index in `kinds`: what the resolver's per-value work reads instead of the
    /// kind's name (see `KindRules`).
    public typealias KindCode = UInt16

    public struct NodeInfo: Sendable, Equatable {
        public var identifier: Identifier
        /// Log position of the first event that carried it.
        public var firstSeen: UInt64
        public var events: Int
        /// The names its events carried (the evidence guard compares them).
        public var names: NameEvidence

        public init(identifier: Identifier, firstSeen: UInt64, events: Int, names: NameEvidence = NameEvidence()) {
            self.identifier = identifier
            self.firstSeen = firstSeen
            self.events = events
            self.names = names
        }
    }

    public struct EdgeInfo: Sendable, Equatable {
        /// Events that carried both values.
        public var count: Int
        /// Log position of the first such event.
        public var firstEvidence: UInt64

        public init(count: Int, firstEvidence: UInt64) {
            self.count = count
            self.firstEvidence = firstEvidence
        }
    }

    public private(set) var nodes = NodeColumn(placeholder: IdentityGraph.placeholder)
    public private(set) var neighbours = NodeColumn<[Node]>(placeholder: [])
    /// The kinds of the graph's values, in the order they first appeared (never reordered, so
    /// a code stays valid as the graph grows).
    public private(set) var kinds: [IdentifierKind] = []
    /// Each node's kind, as a code into `kinds`.
    public private(set) var kindCodes = NodeColumn<KindCode>(placeholder: 0)
    private var index = IdentifierTable()
    private var edges = EdgeTable()
    /// What `observe(_:at:name:)` gathers an event's nodes in (kept, so it is not made anew).
    private var occurrenceBuffer: [Node] = []

    public init() {}

    public var nodeCount: Int { nodes.count }
    public var edgeCount: Int { edges.count }

    public func node(_ identifier: Identifier) -> Node? { index[identifier] }

    /// The code of a node's kind (see `kinds`).
    public func kindCode(of node: Node) -> KindCode { kindCodes[Int(node)] }

    /// The code of `kind`, added to `kinds` when new. Kinds are few (the rules name them), so a
    /// scan beats hashing the name.
    private mutating func code(of kind: IdentifierKind) -> KindCode {
        if let i = kinds.firstIndex(of: kind) { return KindCode(i) }
        precondition(kinds.count < Int(KindCode.max), "more identifier kinds than a graph can code")
        kinds.append(kind)
        return KindCode(kinds.count - 1)
    }

    public func edge(_ a: Node, _ b: Node) -> EdgeInfo? { edges[IdentityGraph.key(a, b)] }

    /// Calls `body` with every edge's two ends (the smaller first) and its evidence, in no
    /// particular order: a pass over the edge table, where asking for each edge by its ends
    /// probes the table once an edge.
    public func forEachEdge(_ body: (Node, Node, EdgeInfo) -> Void) {
        edges.forEach { k, info in
            let (a, b) = IdentityGraph.ends(of: k)
            body(a, b, info)
        }
    }

    /// Every edge, in key order (smaller end, then larger).
    public func sortedEdges() -> [(Node, Node, EdgeInfo)] {
        edges.sorted().map { k, info in
            let (a, b) = IdentityGraph.ends(of: k)
            return (a, b, info)
        }
    }

    /// The key of the edge between two nodes: the smaller id in the high half.
    public static func key(_ a: Node, _ b: Node) -> UInt64 {
        let (lo, hi) = a < b ? (a, b) : (b, a)
        return UInt64(UInt32(bitPattern: lo)) << 32 | UInt64(UInt32(bitPattern: hi))
    }

    /// The two nodes of an edge key (see `key`), smaller first.
    public static func ends(of key: UInt64) -> (Node, Node) {
        (Node(truncatingIfNeeded: key >> 32), Node(truncatingIfNeeded: key & 0xFFFF_FFFF))
    }

    /// What a stored value not loaded yet reads as: no identifier, no events (see `isLoaded`).
    static let placeholder = NodeInfo(
        identifier: Identifier(IdentifierKind(rawValue: ""), ""), firstSeen: .max, events: 0)

    /// Makes room for `count` nodes kept in a store, ids `0..<count`, loaded on demand with
    /// `load(_:as:)`. Until then a node is a placeholder: no identifier, no events, no neighbours.
    /// Nothing is filled in for them (see `NodeColumn`), so this costs the same for any `count`.
    public mutating func reserveStored(_ count: Int) {
        precondition(nodes.isEmpty, "stored nodes come before any new one")
        nodes = NodeColumn(storedCount: count, placeholder: IdentityGraph.placeholder)
        neighbours = NodeColumn(storedCount: count, placeholder: [])
        kindCodes = NodeColumn(storedCount: count, placeholder: code(of: IdentityGraph.placeholder.identifier.kind))
    }

    /// Makes room for `count` new values in the columns indexed by node and the identifier
    /// table's entries (not in its slots, which are spread over the whole array): a rebuild
    /// reserves a generous guess, so the columns never hold an old copy beside a new one, and
    /// an unused tail costs no memory.
    public mutating func reserveCapacity(values count: Int) {
        index.reserveCapacity(count)
        nodes.reserveCapacity(count)
        neighbours.reserveCapacity(count)
        kindCodes.reserveCapacity(count)
    }

    /// Whether the node's identifier and counts are in memory (every stored value has at
    /// least one event, placeholders none).
    public func isLoaded(_ node: Node) -> Bool { nodes.read(Int(node)) { $0.events > 0 } }

    /// The names a value's events carried (read in place, see `NodeColumn.read`).
    public func names(of node: Node) -> NameEvidence { nodes.read(Int(node)) { $0.names } }

    /// The log position of the first event that carried a value (read in place).
    public func firstSeen(of node: Node) -> UInt64 { nodes.read(Int(node)) { $0.firstSeen } }

    /// Fills a placeholder from the store. A node already in memory is left alone: memory is
    /// never older than the store.
    public mutating func load(_ info: NodeInfo, as node: Node) {
        guard !isLoaded(node) else { return }
        nodes[Int(node)] = info
        kindCodes[Int(node)] = code(of: info.identifier.kind)
        index.insert(info.identifier, as: node)
    }

    /// Restores a stored edge between two loaded nodes; an edge already in memory is kept.
    public mutating func restoreEdge(_ a: Node, _ b: Node, _ info: EdgeInfo) {
        guard edges.insertIfAbsent(IdentityGraph.key(a, b), info) else { return }
        neighbours.modify(Int(a)) { $0.append(b) }
        neighbours.modify(Int(b)) { $0.append(a) }
    }

    /// Records one event's identifiers, and the name it carried if any (a hash, see
    /// `NameEvidence.hash(of:)`); returns the nodes it touched.
    @discardableResult
    public mutating func observe(_ identifiers: [Identifier], at position: UInt64, name: UInt32? = nil) -> [Node] {
        // The nodes in a buffer the graph keeps: an array made per event cost 31,000 allocations
        // of the identity micro-benchmark's 92,000.
        var occurrences: [Node] = []
        swap(&occurrences, &occurrenceBuffer)
        defer { swap(&occurrences, &occurrenceBuffer) }
        occurrences.removeAll(keepingCapacity: true)
        for identifier in identifiers { occurrences.append(node(adding: identifier, at: position)) }
        return observe(nodes: occurrences, at: position, name: name)
    }

    /// The node of `identifier`, added with no events yet when new: one hash and one probe
    /// whether the value is known or not. `observe(nodes:at:name:)` then counts the event, so a
    /// reader that meets a value many times (a rebuild numbers each segment's values once, see
    /// `ProjectionColumns.Reading`) hashes it once, not once an event.
    public mutating func node(adding identifier: Identifier, at position: UInt64) -> Node {
        if let n = index.insertIfAbsent(identifier, as: Node(nodes.count)) { return n }
        let n = Node(nodes.count)
        nodes.append(NodeInfo(identifier: identifier, firstSeen: position, events: 0))
        neighbours.append([])
        kindCodes.append(code(of: identifier.kind))
        return n
    }

    /// Records one event whose values' nodes are `occurrences` (from `node(adding:at:)`, one
    /// per identifier the event carried, a value carried twice counted twice), and the name it
    /// carried if any; returns the nodes it touched, each once, in the order first met.
    @discardableResult
    public mutating func observe(nodes occurrences: [Node], at position: UInt64, name: UInt32? = nil) -> [Node] {
        var touched: [Node] = []
        touched.reserveCapacity(occurrences.count)
        for n in occurrences {
            nodes.modify(Int(n)) { info in
                info.events += 1
                if position < info.firstSeen { info.firstSeen = position }
            }
            if !touched.contains(n) { touched.append(n) }
        }
        if let name {
            for n in touched { nodes.modify(Int(n)) { $0.names.add(hash: name) } }
        }
        for i in 0..<touched.count {
            for j in (i + 1)..<max(i + 1, touched.count) {
                let a = touched[i]
                let b = touched[j]
                if edges.observe(IdentityGraph.key(a, b), at: position) {
                    neighbours.modify(Int(a)) { $0.append(b) }
                    neighbours.modify(Int(b)) { $0.append(a) }
                }
            }
        }
        return touched
    }
}
