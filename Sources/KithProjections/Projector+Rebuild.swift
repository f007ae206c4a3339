import KithCore

#if canImport(Glibc)
    import CMalloc
#endif

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
    /// Memory: the graph and when each value was seen grow with the values, what the statistics
    /// need of each event (see `AnchoredEvents`) with the events. Past `onePassLimit` events the
    /// rest is caught up in batches.
    func rebuild(
        with log: some EventLogReading, summary: inout Summary, progress: ((ProjectionProgress) -> Void)?
    ) throws {
        var batch = ProjectionBatch()
        batch.endPosition = min(log.endPosition, UInt64(max(0, onePassLimit)))
        if batch.endPosition > 0 { batch.lastLine = try Projector.lineHash(in: log, at: batch.endPosition - 1) }
        let clock = ContinuousClock()
        var stages = RebuildStages()
        var lap = clock.now
        /// The seconds since the last lap, and a new lap.
        func lapped() -> Double {
            defer { lap = clock.now }
            return (clock.now - lap).inSeconds
        }
        try store.commitRebuild(rulesHash: rulesHash) { sink in
            var (seen, anchored) = try fold(log, upTo: batch.endPosition, progress: progress)
            stages.read = lapped()
            func reach(_ stage: ProjectionProgress.Stage) {
                progress?(ProjectionProgress(position: batch.endPosition, end: log.endPosition, stage: stage))
            }
            reach(.writingValues)
            let graph = state.graph
            let (resolver, startMarks, profileIDs) = (resolver, marks, profileIDs)
            let resolve = { @Sendable in
                let clock = ContinuousClock()
                let started = clock.now
                var marks = startMarks
                let resolution = resolver.resolveAll(graph, marks: &marks)
                return (resolution, marks, (clock.now - started).inSeconds)
            }
            @Sendable func settled(_ resolved: (IdentityResolver.Resolution, NeverLinkMarks, Double)) -> Settled {
                let clock = ContinuousClock()
                let started = clock.now
                let settlement = WholeGraphSettlement(resolved.0, of: graph, profileIDs: profileIDs)
                return Settled(
                    settlement: settlement, marks: resolved.1, resolving: resolved.2,
                    identity: resolved.2 + (clock.now - started).inSeconds)
            }
            // Identity is resolved on a second thread while the rows are written, from the
            // first moment the memory that takes fits under the ceiling: before any row (then
            // the settlement is made there too), or once the folded events are gone.
            func fits() -> Bool { ResidentMemory.current() + Projector.resolutionBytes(of: graph) <= overlapCeiling }
            let settling = overlapsFrom == .start && fits() ? OnSecondThread { settled(resolve()) } : nil
            let currency = rules.rfm.currency
            try anchored.forEachValue { n, stats, timeline in
                try sink.append(stats, timeline: timeline, of: n)
                let raw = RFMRaw(stats, currency: currency)
                if !raw.isEmpty { batch.nodeRFM.append((n, raw)) }
            }
            // The folded events are gone: memory peaks in what follows.
            Projector.returnFreedMemory()
            let resolving = settling == nil && fits() ? OnSecondThread(resolve) : nil
            stages.identityAlongside = settling != nil || resolving != nil
            for n in 0..<graph.nodeCount {
                try sink.append(
                    ProjectionBatch.NodeRow(node: Node(n), info: graph.nodes[n], seen: seen.seen(of: Node(n))))
            }
            seen = SeenFolding()
            Projector.returnFreedMemory()
            stages.values = lapped()
            reach(.resolvingIdentity)
            let done = settling?.value() ?? settled(resolving?.value() ?? resolve())
            stages.waitedForIdentity = lapped()
            stages.identity = done.identity
            marks = done.marks
            linkDecisions += done.settlement.linkDecisions
            resolvingSeconds += done.resolving
            done.settlement.write(into: &batch)
            reach(.committing)
            return batch
        }
        stages.commit = lapped()
        summary.stages = stages
        afterCommit?()
        summary.events = Int(batch.endPosition)
        summary.batches = 1
        summary.newProfiles = batch.newProfiles.count
        // Later batches load the stored graph on demand, as a projector opened on this store would.
        state = try Projector.openState(of: store)
    }

    /// Where a rebuild may start resolving identity on a second thread (see `overlapCeiling`).
    enum OverlapStart {
        /// Before the values' rows, if there is room; else once the folded events are gone.
        case start
        /// Only once the folded events are gone (what a large rebuild does; for tests). A
        /// ceiling of 0 never overlaps.
        case afterStatistics
    }

    /// A whole graph resolved and settled, with the resolver's marks and its times.
    struct Settled: Sendable {
        let settlement: WholeGraphSettlement
        let marks: NeverLinkMarks
        /// The resolver's own time, and with the settlement's.
        let resolving: Double
        let identity: Double
    }

    /// About what resolving `graph` whole adds at its peak, its edges listed in order included,
    /// planned a little high: 463 MiB measured at 4.4M values and 5.2M edges (1,000,000
    /// persons), and resolving beside the folded events added 103 MiB at 875,000 values and
    /// 1.04M edges (200,000 persons).
    static func resolutionBytes(of graph: IdentityGraph) -> Int {
        70 * graph.nodeCount + 50 * graph.edgeCount
    }

    /// Gives the memory freed so far back to the system. `kith` keeps large blocks in the heap
    /// for ingest's reuse (see its `mallopt` settings), so a rebuild's folded events, once
    /// freed, still counted in its resident memory while resolution allocated more beside them.
    static func returnFreedMemory() {
        #if canImport(Glibc)
            _ = malloc_trim(0)
        #endif
    }

    /// Reads the whole log into the graph, folding when and where values were seen, and keeping
    /// what the statistics and timelines need of each event anchored at a value.
    ///
    /// The log is read as columns (see `EventLogReading.forEachColumns`), row by row: each run's
    /// distinct identifiers are looked up in the graph once, when first met, and its text is
    /// carried into the anchored events by reference. Reading a `ProjectedEvent` at a time hashed
    /// every identifier and interned every name and trait of every event, and made their strings.
    private func fold(
        _ log: some EventLogReading, upTo end: UInt64, progress: ((ProjectionProgress) -> Void)?
    ) throws -> (seen: SeenFolding, anchored: AnchoredEvents) {
        var seen = SeenFolding()
        var anchored = AnchoredEvents()
        anchored.reserveCapacity(Int(end))
        // A guess, not a bound: most events carry values seen before (4.4M values in 10.7M events
        // at 1,000,000 people). Past it the columns grow by doubling, as without it.
        state.graph.reserveCapacity(values: Int(end))
        seen.reserveCapacity(values: Int(end))
        var refs: [UInt32] = []
        var occurrences: [Node] = []
        var next: UInt64 = 0
        try log.forEachColumns(from: 0, upTo: end, declaredKinds: rules.declaredKinds) { columns, run in
            var reading = ProjectionColumns.Reading(columns, declaredKinds: rules.declaredKinds)
            // Each of the run's identifiers' node, once met (-1 before).
            var nodeOf = [Node](repeating: -1, count: reading.identifierCount)
            for position in run {
                let row = reading.row(of: position)
                guard reading.identifiers(at: row, into: &refs) else { throw ProjectionError.notAnEvent(at: position) }
                occurrences.removeAll(keepingCapacity: true)
                for r in refs {
                    if nodeOf[Int(r)] < 0 {
                        nodeOf[Int(r)] = state.graph.node(adding: reading.identifier(r), at: position)
                    }
                    occurrences.append(nodeOf[Int(r)])
                }
                let nodes = state.graph.observe(nodes: occurrences, at: position, name: reading.nameHash(row))
                seen.add(reading.occurredAt(row), source: reading.source(row), to: nodes)
                if let anchor = state.graph.anchor(of: nodes, marks: &marks, resolver: resolver) {
                    anchored.add(row: row, of: &reading, anchoredAt: anchor)
                }
                next = position + 1
                if next % 100_000 == 0 { progress?(ProjectionProgress(position: next, end: log.endPosition)) }
            }
            return true
        }
        if next > 0 { progress?(ProjectionProgress(position: next, end: log.endPosition)) }
        return (seen, anchored)
    }
}

/// When and where each value was seen, folded per event in arrays indexed by node, with
/// sources as bits of a small table (the batched path keeps a `Set<String>` per value).
struct SeenFolding {
    typealias Node = IdentityGraph.Node
    /// One value's fold, in one array: every event touches each of its values' three fields, and
    /// three arrays cost three cache misses a value where one costs one.
    private struct Fold {
        var first: Timestamp
        var last: Timestamp
        var sourceBits: UInt64
    }
    private var folds: [Fold] = []
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

    mutating func reserveCapacity(values count: Int) { folds.reserveCapacity(count) }

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
            while folds.count <= i { folds.append(Fold(first: at, last: at, sourceBits: 0)) }
            if at < folds[i].first { folds[i].first = at }
            if folds[i].last < at { folds[i].last = at }
            if bit < 64 { folds[i].sourceBits |= 1 << UInt64(bit) } else { overflow[n, default: []].insert(source) }
        }
    }

    mutating func seen(of node: Node) -> NodeSeen {
        let i = Int(node)
        guard i < folds.count else { return NodeSeen() }
        let bits = folds[i].sourceBits
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
        return NodeSeen(firstSeen: folds[i].first, lastSeen: folds[i].last, sources: sources)
    }
}
