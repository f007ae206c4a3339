import KithCore

extension Projector {
    /// Whether `catchUp` rebuilds in one pass: an empty store, the whole log to project.
    var canRebuildInOnePass: Bool { state.checkpoint == 0 && state.storedAtOpening == 0 }

    /// Projects the whole log into an empty store in one transaction: statistics are folded in
    /// memory, identity is resolved once over the whole graph, and every row is written once
    /// (the batched path rewrites a value's rows in every batch that touches it, and reads them
    /// back first). A kill leaves the store empty and the next run starts over.
    ///
    /// The store equals a batched projection's, except for history that only batch boundaries
    /// create: profiles that existed between two batches and merged later, and merge and split
    /// records (a rebuild sees the whole log at once, so nothing merges or splits).
    ///
    /// Memory: the graph and when each value was seen grow with the log (about 150 bytes an
    /// event), statistics and timelines with the values folded (about 700 bytes a value). So the
    /// first read of the log folds the statistics of the first `valuesPerPass` values only, and
    /// each further `valuesPerPass` values cost one more read of the log (decoding only: the
    /// graph is built by then). Past `onePassLimit` events the rest is caught up in batches.
    func rebuild(
        with log: some EventLogReading, summary: inout Summary, progress: ((ProjectionProgress) -> Void)?
    ) throws {
        var batch = ProjectionBatch()
        batch.endPosition = min(log.endPosition, UInt64(max(0, onePassLimit)))
        if batch.endPosition > 0 { batch.lastLine = try Projector.lineHash(in: log, at: batch.endPosition - 1) }
        let perPass = max(1, valuesPerPass)
        try store.commitRebuild(rulesHash: rulesHash) { sink in
            var folded = try fold(log, upTo: batch.endPosition, values: 0..<perPass, progress: progress)
            func reach(_ stage: ProjectionProgress.Stage) {
                progress?(ProjectionProgress(position: batch.endPosition, end: log.endPosition, stage: stage))
            }
            reach(.writingValues)
            let graph = state.graph
            for n in 0..<graph.nodeCount {
                try sink.append(
                    ProjectionBatch.NodeRow(node: Node(n), info: graph.nodes[n], seen: folded.seen.seen(of: Node(n))))
            }
            batch.edges = graph.sortedEdges()
            // Each value's statistics are written and dropped in turn, so memory shrinks as the rows go out.
            let currency = rules.rfm.currency
            var values = 0..<min(perPass, graph.nodeCount)
            while true {
                for i in folded.stats.indices {
                    guard let s = folded.stats[i] else { continue }
                    folded.stats[i] = nil
                    let n = Node(values.lowerBound + i)
                    try sink.append(s, timeline: folded.timelines[i], of: n)
                    folded.timelines[i] = []
                    let raw = RFMRaw(s, currency: currency)
                    if !raw.isEmpty { batch.nodeRFM.append((n, raw)) }
                }
                guard values.upperBound < graph.nodeCount else { break }
                values = values.upperBound..<min(values.upperBound + perPass, graph.nodeCount)
                (folded.stats, folded.timelines) = try foldStatistics(
                    log, upTo: batch.endPosition, values: values, progress: progress)
            }
            reach(.resolvingIdentity)
            settleWholeGraph(into: &batch)
            reach(.committing)
            return batch
        }
        afterCommit?()
        summary.events = Int(batch.endPosition)
        summary.batches = 1
        summary.newProfiles = batch.newProfiles.count
        // Later batches load the stored graph on demand, as a projector opened on this store would.
        state = try Projector.openState(of: store)
    }

    /// `settle` for a rebuild: neither the store nor the state holds anything yet, so every
    /// link, refusal, exclusion, membership and profile is new and nothing is compared with
    /// what was there (the state is reloaded from the store afterwards).
    private func settleWholeGraph(into batch: inout ProjectionBatch) {
        let graph = state.graph
        let resolution = resolver.resolveAll(graph, marks: &marks)
        linkDecisions += resolution.accepted.count + resolution.refused.count
        batch.linksAdded = resolution.accepted.map { IdentityGraph.key($0.a, $0.b) }.sorted()
        var refused: [UInt64: String] = [:]
        for r in resolution.refused { refused[IdentityGraph.key(r.link.a, r.link.b)] = r.rule }
        batch.refused = refused.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        batch.excluded = resolution.excluded.map { ($0.node, $0.standing) }.sorted { $0.0 < $1.0 }
        var nodeRFM = [RFMRaw?](repeating: nil, count: graph.nodeCount)
        for (n, raw) in batch.nodeRFM { nodeRFM[Int(n)] = raw }
        // Each component's profile id and summed RFM inputs, and each value's component.
        let components = resolution.components
        var ids: [String] = []
        var raws: [RFMRaw] = []
        ids.reserveCapacity(components.count)
        raws.reserveCapacity(components.count)
        var componentOf = [Int32](repeating: -1, count: graph.nodeCount)
        for (c, component) in components.enumerated() {
            ids.append(profileIDs.of(graph.nodes[Int(component[0])].identifier))
            var raw = RFMRaw()
            for n in component {
                componentOf[Int(n)] = Int32(c)
                if let r = nodeRFM[Int(n)] { raw.add(r) }
            }
            raws.append(raw)
        }
        // Rows in key order, so each table grows at its end instead of splitting pages all over.
        // Two components whose ids collide stay in order (the sort is stable): the first one's
        // anchor names the profile and the last one's RFM inputs stand, as they always have.
        let byID = components.indices.sorted { ids[$0] < ids[$1] }
        for (k, c) in byID.enumerated() {
            if k == 0 || ids[byID[k - 1]] != ids[c] {
                let anchor = components[c][0]
                batch.newProfiles.append((ids[c], anchor, graph.nodes[Int(anchor)].firstSeen))
            }
            if k == byID.count - 1 || ids[byID[k + 1]] != ids[c] { batch.profileRFM.append((ids[c], raws[c])) }
        }
        for (n, c) in componentOf.enumerated() where c >= 0 { batch.membership.append((Node(n), ids[Int(c)])) }
    }

    /// Reads the whole log into the graph, folding when and where values were seen, and the
    /// statistics and timeline entries of the events anchored at a value in `values`.
    private func fold(
        _ log: some EventLogReading, upTo end: UInt64, values: Range<Int>, progress: ((ProjectionProgress) -> Void)?
    ) throws -> (seen: SeenFolding, stats: [NodeStats?], timelines: [[UInt8]]) {
        var seen = SeenFolding()
        var stats = FoldedStatistics(values: values)
        try forEachEvent(in: log, upTo: end, progress: progress) { e in
            let nodes = state.graph.observe(e.identifiers, at: e.position, name: e.nameHash)
            seen.add(e.occurredAt, source: e.source, to: nodes)
            if let anchor = state.graph.anchor(of: nodes, marks: &marks, resolver: resolver) {
                stats.add(e, anchoredAt: anchor)
            }
        }
        return (seen, stats.stats, stats.timelines)
    }

    /// Reads the log again once the graph is built, folding only the statistics and timeline
    /// entries of the events anchored at a value in `values`.
    private func foldStatistics(
        _ log: some EventLogReading, upTo end: UInt64, values: Range<Int>, progress: ((ProjectionProgress) -> Void)?
    ) throws -> (stats: [NodeStats?], timelines: [[UInt8]]) {
        var stats = FoldedStatistics(values: values)
        let graph = state.graph
        try forEachEvent(in: log, upTo: end, stage: .foldingMoreValues, progress: progress) { e in
            if let anchor = anchor(of: e.identifiers.compactMap(graph.node), in: graph) {
                stats.add(e, anchoredAt: anchor)
            }
        }
        return (stats.stats, stats.timelines)
    }
}

/// The statistics and timeline entries of the events anchored at a range of values, in arrays
/// indexed by node from the range's start, grown as the values appear.
struct FoldedStatistics {
    typealias Node = IdentityGraph.Node
    let values: Range<Int>
    // A dictionary of these large values would copy each on every change.
    var stats: [NodeStats?] = []
    var timelines: [[UInt8]] = []

    mutating func add(_ e: ProjectedEvent, anchoredAt anchor: Node) {
        guard values.contains(Int(anchor)) else { return }
        let i = Int(anchor) - values.lowerBound
        if stats.count <= i {
            stats.append(contentsOf: repeatElement(nil, count: i + 1 - stats.count))
            timelines.append(contentsOf: repeatElement([], count: i + 1 - timelines.count))
        }
        if stats[i] == nil { stats[i] = NodeStats() }
        stats[i]?.add(e)
        TimelineIndex.append(e, to: &timelines[i])
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
    /// The last event's source and its bit: a log's events come in runs from one channel (one
    /// export at a time), and comparing a string with itself costs less than hashing it.
    private var lastSource: (name: String, bit: Int)?
    /// Values seen from more sources than the table has bits (rare: channels are few).
    private var overflow: [Node: Set<String>] = [:]
    /// Each combination of sources seen, as the set a value's row is written from: combinations
    /// are few, values many, so each set is made once and shared.
    private var sourceSets: [UInt64: Set<String>] = [:]

    mutating func add(_ at: Timestamp, source: String, to nodes: [Node]) {
        let bit: Int
        if let last = lastSource, last.name == source {
            bit = last.bit
        } else if let known = sourceIndex[source] {
            bit = known
        } else {
            bit = sourceNames.count
            sourceIndex[source] = bit
            sourceNames.append(source)
        }
        lastSource = (source, bit)
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

    mutating func seen(of node: Node) -> NodeSeen {
        let i = Int(node)
        guard i < first.count else { return NodeSeen() }
        let bits = sourceBits[i]
        var sources: Set<String>
        if let shared = sourceSets[bits] {
            sources = shared
        } else {
            sources = []
            var rest = bits
            while rest != 0 {
                sources.insert(sourceNames[rest.trailingZeroBitCount])
                rest &= rest - 1
            }
            sourceSets[bits] = sources
        }
        if let more = overflow[node] { sources.formUnion(more) }
        return NodeSeen(firstSeen: first[i], lastSeen: last[i], sources: sources)
    }
}
