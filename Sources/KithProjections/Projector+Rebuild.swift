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
    ///
    /// Memory grows with the events folded (about 1.1 GB for 2.1M), so a longer log is rebuilt
    /// in one pass up to `onePassLimit` events and caught up in batches from there.
    func rebuild(
        with log: some EventLogReading, summary: inout Summary, progress: ((UInt64, UInt64) -> Void)?
    ) throws {
        var batch = ProjectionBatch()
        batch.endPosition = min(log.endPosition, UInt64(max(1, onePassLimit)))
        try store.commitRebuild(rulesHash: rulesHash) { sink in
            var folded = try fold(log, upTo: batch.endPosition, into: sink, progress: progress)
            let graph = state.graph
            for n in 0..<graph.nodeCount {
                try sink.append(ProjectionBatch.NodeRow(node: Node(n), info: graph.nodes[n], seen: folded.seen.seen(of: Node(n))))
            }
            batch.edges = graph.sortedEdges()
            // Each value's statistics are written and dropped in turn, so memory shrinks as the rows go out.
            let currency = rules.rfm.currency
            for n in folded.stats.indices {
                guard let s = folded.stats[n] else { continue }
                folded.stats[n] = nil
                try sink.append(s, of: Node(n))
                let raw = RFMRaw(s, currency: currency)
                if !raw.isEmpty { batch.nodeRFM.append((Node(n), raw)) }
            }
            // Nothing is stored yet, so `settle` reads no value's RFM inputs from the store.
            try settle((0..<Node(graph.nodeCount)).map { $0 }, stats: [:], into: &batch)
            return batch
        }
        summary.events = Int(batch.endPosition)
        summary.batches = 1
        summary.newProfiles = batch.newProfiles.count
        // Later batches load the stored graph on demand, as a projector opened on this store would.
        state = try store.openingState()
    }

    /// Reads the whole log into the graph, folding when and where values were seen and the
    /// statistics of each event's anchor; event rows go straight to the sink.
    private func fold(
        _ log: some EventLogReading, upTo end: UInt64, into sink: any RebuildSink,
        progress: ((UInt64, UInt64) -> Void)?
    ) throws -> (seen: SeenFolding, stats: [NodeStats?]) {
        let declaredKinds = rules.declaredKinds
        var scratch = EventLineParser.Scratch()
        var seen = SeenFolding()
        // By anchor node, grown with the graph: a dictionary of these large values would copy each.
        var stats: [NodeStats?] = []
        var position: UInt64 = 0
        var failure: (any Error)?
        while position < end {
            try log.forEachLine(from: position, limit: Int(min(100_000, end - position))) { at, line in
                guard let e = ProjectedEvent.decode(line, position: at, scratch: &scratch, declaredKinds: declaredKinds)
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
                try sink.append(
                    ProjectionBatch.EventRow(
                        position: at, eventID: e.eventID, anchor: anchor, type: e.type.rawValue, name: e.name,
                        source: e.source, occurredAt: e.occurredAt))
                position = at + 1
                return true
            }
            if let failure { throw failure }
            progress?(position, log.endPosition)
        }
        return (seen, stats)
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

