import KithCore

extension Projector {
    /// Whether `catchUp` rebuilds in one pass: an empty store, the whole log to project.
    var canRebuildInOnePass: Bool { state.checkpoint == 0 && state.storedAtOpening == 0 }

    /// Projects the whole log into an empty store in one pass and one transaction: statistics
    /// are folded in memory, identity is resolved once over the whole graph, and every row is
    /// written once (the batched path rewrites a value's rows in every batch that touches it,
    /// and reads them back first). A kill leaves the store empty and the next run starts over.
    ///
    /// The store equals a batched projection's, except for history that only batch boundaries
    /// create: profiles that existed between two batches and merged later, and merge and split
    /// records (a rebuild sees the whole log at once, so nothing merges or splits).
    func rebuild(
        with log: some EventLogReading, summary: inout Summary, progress: ((UInt64, UInt64) -> Void)?
    ) throws {
        let end = log.endPosition
        let declaredKinds = rules.declaredKinds
        var batch = ProjectionBatch()
        batch.endPosition = end
        // Statistics by anchor node, grown with the graph (a dictionary of large values costs
        // a copy of each at the end).
        var stats: [NodeStats?] = []
        try store.commitRebuild(rulesHash: rulesHash) { appendEvent in
            var scratch = EventLineParser.Scratch()
            var seen = SeenFolding()
            var position: UInt64 = 0
            var failure: (any Error)?
            while position < end {
                try log.forEachLine(from: position, limit: 100_000) { at, line in
                    guard
                        let e = ProjectedEvent.decode(line, position: at, scratch: &scratch, declaredKinds: declaredKinds)
                    else {
                        failure = ProjectionError(
                            "log position \(at) is not a canonical event; the log is damaged (run kith log verify)")
                        return false
                    }
                    let nodes = state.graph.observe(e.identifiers, at: at)
                    seen.add(e.occurredAt, source: e.source, to: nodes)
                    let anchor = anchor(of: e.identifiers).flatMap { state.graph.node($0) }
                    if let anchor {
                        let i = Int(anchor)
                        if stats.count <= i { stats.append(contentsOf: repeatElement(nil, count: i + 1 - stats.count)) }
                        if stats[i] == nil { stats[i] = NodeStats() }
                        stats[i]!.add(e)
                    }
                    try appendEvent(
                        ProjectionBatch.EventRow(
                            position: at, eventID: e.eventID, anchor: anchor, type: e.type.rawValue, name: e.name,
                            source: e.source, occurredAt: e.occurredAt))
                    position = at + 1
                    return true
                }
                if let failure { throw failure }
                progress?(position, end)
            }
            let graph = state.graph
            batch.nodes = (0..<graph.nodeCount).map {
                ProjectionBatch.NodeRow(node: Node($0), info: graph.nodes[$0], seen: seen.seen(of: Node($0)))
            }
            batch.edges = graph.sortedEdges()
            batch.stats = stats.indices.compactMap { i in stats[i].map { (Node(i), $0) } }
            stats = []
            let currency = rules.rfm.currency
            for (node, s) in batch.stats {
                let raw = RFMRaw(s, currency: currency)
                if !raw.isEmpty { batch.nodeRFM.append((node, raw)) }
            }
            // Nothing is stored yet, so `settle` reads no node's RFM inputs from the store.
            try settle((0..<Node(graph.nodeCount)).map { $0 }, stats: [:], into: &batch)
            return batch
        }
        summary.events = Int(end)
        summary.batches = 1
        summary.newProfiles = batch.newProfiles.count
        // Later batches load the stored graph on demand, as a projector opened on this store would.
        state = try store.openingState()
    }
}

/// When and where each value was seen, folded per event in arrays indexed by node, with
/// sources as bits of a small table (the batched path keeps a `Set<String>` per value).
struct SeenFolding {
    typealias Node = IdentityGraph.Node
    private var first: [Timestamp] = []
    private var last: [Timestamp] = []
    private var sourceBits: [UInt64] = []
    private var sourceNames: [String] = []
    private var sourceIndex: [String: Int] = [:]
    /// Values seen from more sources than the table has bits (rare: channels are few).
    private var overflow: [Node: Set<String>] = [:]

    mutating func add(_ at: Timestamp, source: String, to nodes: [Node]) {
        let bit: Int
        if let known = sourceIndex[source] {
            bit = known
        } else {
            bit = sourceNames.count
            sourceIndex[source] = bit
            sourceNames.append(source)
        }
        for n in nodes {
            let i = Int(n)
            while first.count <= i {
                first.append(at)
                last.append(at)
                sourceBits.append(0)
            }
            if at < first[i] { first[i] = at }
            if last[i] < at { last[i] = at }
            if bit < 64 { sourceBits[i] |= 1 << UInt64(bit) } else { overflow[n, default: []].insert(source) }
        }
    }

    func seen(of node: Node) -> NodeSeen {
        let i = Int(node)
        guard i < first.count else { return NodeSeen() }
        var sources = overflow[node] ?? []
        var bits = sourceBits[i]
        while bits != 0 {
            let b = bits.trailingZeroBitCount
            sources.insert(sourceNames[b])
            bits &= bits - 1
        }
        return NodeSeen(firstSeen: first[i], lastSeen: last[i], sources: sources)
    }
}

