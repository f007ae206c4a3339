import Foundation
import KithCore

/// Catches the projection store up with the log, batch by batch. The same loop serves live
/// catch-up after an ingest and a full rebuild (from an empty store). A batch's writes and its
/// checkpoint commit together, so a crash at any point neither loses nor double-counts an event.
///
/// For example:
/// ```swift
/// let projector = try Projector(store: store, rules: .standard)
/// let summary = try projector.catchUp(with: reader)
/// ```
public final class Projector {
    public typealias Node = IdentityGraph.Node

    public struct Summary: Codable, Sendable {
        public var events = 0
        public var batches = 0
        public var fromPosition: UInt64 = 0
        public var toPosition: UInt64 = 0
        public var merges = 0
        public var splits = 0
        public var newProfiles = 0
        public var seconds = 0.0
        public var eventsPerSecond = 0.0
        /// Where a one-pass rebuild's time went; nil for batches.
        public var stages: RebuildStages?

        enum CodingKeys: String, CodingKey {
            case events, batches, merges, splits, seconds, stages
            case fromPosition = "from_position"
            case toPosition = "to_position"
            case newProfiles = "new_profiles"
            case eventsPerSecond = "events_per_second"
        }
    }

    public let store: any ProjectionStore
    public let rules: Rules
    public let rulesHash: String
    let resolver: IdentityResolver
    var state: ProjectionState
    /// Which values never link by what they are, as anchors and resolutions ask (the same rules
    /// throughout: a projector's rules never change).
    var marks = NeverLinkMarks(dense: true)
    /// Links the resolver has decided (accepted or refused) since this projector started: the
    /// unit `kith bench identity` reports its speed in.
    public internal(set) var linkDecisions = 0
    /// Seconds the resolver has taken to decide them (on a second thread during a rebuild that
    /// overlaps, see `overlapCeiling`): identity's own time, without reading or writing.
    public internal(set) var resolvingSeconds = 0.0

    /// How profile ids are derived (keyed with the installation secret; see `ProfileIDs`).
    public let profileIDs: ProfileIDs

    /// Opens the projection of `store`; a store whose ids were made another way (before ids were
    /// keyed, or under another secret) has them rewritten first, the old ones kept as aliases.
    public init(store: any ProjectionStore, rules: Rules, profileIDs: ProfileIDs = .unkeyed) throws {
        self.store = store
        self.rules = rules
        self.profileIDs = profileIDs
        try store.adoptProfileIDs(profileIDs)
        rulesHash = Projector.hash(rules)
        resolver = IdentityResolver(rules: rules)
        state = try Projector.openState(of: store)
        if state.checkpoint > 0, let stored = state.rulesHash, stored != rulesHash {
            throw ProjectionError(
                .needsRebuild,
                "the projection was built under other rules (\(stored.prefix(12))…, now \(rulesHash.prefix(12))…)")
        }
    }

    public var checkpoint: UInt64 { state.checkpoint }

    /// The store's opening state, with room made in the graph for the stored values (loaded on
    /// demand, see `IdentityGraph.reserveStored`).
    static func openState(of store: any ProjectionStore) throws -> ProjectionState {
        var state = try store.openingState()
        state.graph.reserveStored(state.storedAtOpening)
        return state
    }

    /// Called after each batch (or rebuild) commits. `kith` points it at its deterministic
    /// kill points, so a crash test can stop a projection right after its Nth commit.
    public var afterCommit: (() -> Void)?

    /// The most events a rebuild folds in memory (see `rebuild`); the rest of a longer log is
    /// projected in batches. `onePassLimit(availableMemory:)` fits it to a machine.
    public var onePassLimit = Projector.largestOnePass

    /// The most resident memory, in bytes, a rebuild may reach by resolving identity on a second
    /// thread while its values' rows are written (see `rebuild`): the resolution then holds its
    /// arrays beside what the rows are written from, where in turn it would not. It starts
    /// before any row where that fits (200,000 persons: 7.87 → 6.77 s, 511 → 614 MiB), else
    /// once the folded events are gone (1,000,000 persons: 42.2 → 38.5 s, peak 1,906–1,920 →
    /// 1,932–1,940 MiB; from the start it would have peaked at 2,110 MiB). The engine lowers it
    /// to what the machine has; 0 never overlaps.
    public var overlapCeiling = 2 << 30
    /// Where the overlap may start (tests pin it to check each way gives the same store).
    var overlapsFrom = OverlapStart.start

    /// The one-pass limit where the memory available cannot be read (not Linux): about 2.6 GB
    /// of rebuild (see `rebuildBytesPerEvent`).
    public static let largestOnePass = 12_000_000

    /// What a rebuild holds at its peak, per event and in all: 1,876 MiB measured at 10.7M events
    /// (1,000,000 persons), 530 MiB at 2.27M (200,000 persons), planned a little high. Memory
    /// peaks twice, about equally: when the log is read (the graph and the anchored events) and
    /// when identity is resolved (the graph and the resolution).
    static let rebuildBytesPerEvent = 210
    static let rebuildFixedBytes = 128 << 20

    /// The one-pass limit for a machine with `bytes` of memory available: a rebuild may take half
    /// of it, and below 500,000 events the batched path is used from the start. There is no
    /// other cap: past the limit the rest of the log is caught up in batches, far slower.
    public static func onePassLimit(availableMemory bytes: Int) -> Int {
        let fits = max(0, max(0, bytes) / 2 - rebuildFixedBytes) / rebuildBytesPerEvent
        return fits < 500_000 ? 0 : fits
    }

    /// The log's events in `start..<end` as the log answers them (from its projection-ready
    /// form where it has one), reporting progress every 100,000 positions; a line that is not a
    /// canonical event is an error.
    func forEachEvent(
        in log: some EventLogReading, from start: UInt64 = 0, upTo end: UInt64,
        progress: ((ProjectionProgress) -> Void)? = nil, _ body: (ProjectedEvent) -> Void
    ) throws {
        guard start < end else { return }
        var failure: (any Error)?
        var next = start
        try log.forEachProjectedEvent(from: start, upTo: end, declaredKinds: rules.declaredKinds) { at, event in
            guard let event else {
                failure = ProjectionError.notAnEvent(at: at)
                return false
            }
            body(event)
            next = at + 1
            if next % 100_000 == 0 { progress?(ProjectionProgress(position: next, end: log.endPosition)) }
            return true
        }
        if let failure { throw failure }
        if next > start { progress?(ProjectionProgress(position: next, end: log.endPosition)) }
    }

    /// The hash of the log's line at `position` (nil past the end).
    static func lineHash(in log: some EventLogReading, at position: UInt64) throws -> EventKey? {
        var hash: EventKey?
        try log.forEachLine(from: position, limit: 1) { at, line in
            if at == position { hash = EventKey(hashing: line) }
            return false
        }
        return hash
    }

    /// A stable hash of the rules the stored projection depends on (see `Rules.projectionRules`).
    public static func hash(_ rules: Rules) -> String { hash(fullRules: rules.projectionRules) }

    /// A stable hash of everything in the rules, scoring and lifecycle included (what `kith
    /// rules show` reports).
    public static func hash(fullRules rules: Rules) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = (try? encoder.encode(rules)) ?? Data()
        let key = [UInt8](data).withUnsafeBufferPointer { EventKey(hashing: $0) }
        return String(key.high, radix: 16) + String(key.low, radix: 16)
    }

    /// The node an event's numbers belong to: its linking value of the highest priority (the
    /// smallest identifier on a tie), never a blocklisted one or one matching a never-link
    /// pattern (those are fixed by the rules, so an event's anchor never moves). `nodes` are the
    /// event's values as `observe` returned them.
    ///
    /// Callers that hold the graph in `state` call `state.graph.anchor(of:marks:resolver:)`
    /// instead: passed from this class's storage, the graph was copied for each call, every
    /// array in it retained and released (10 % of a rebuild at 1,000,000 people).
    func anchor(of nodes: [Node], in graph: borrowing IdentityGraph) -> Node? {
        Self.anchor(of: nodes, in: graph, marks: &marks, resolver: resolver)
    }

    static func anchor(
        of nodes: [Node], in graph: borrowing IdentityGraph, marks: inout NeverLinkMarks, resolver: IdentityResolver
    ) -> Node? {
        let kinds = marks.kinds(of: graph, by: resolver)
        var best: (node: Node, priority: Int)?
        for n in nodes {
            let code = Int(graph.kindCode(of: n))
            guard kinds.links[code], !marks.neverLinks(n, in: graph, by: resolver) else { continue }
            let priority = kinds.priority[code]
            if let b = best,
                b.priority < priority
                    || (b.priority == priority && !kinds.identifier(of: n, precedes: b.node, in: graph))
            {
                continue
            }
            best = (n, priority)
        }
        return best?.node
    }

    /// Projects every event after the checkpoint. Without a `batchSize`, an empty store is
    /// rebuilt in one pass (see `rebuild`) and a catch-up commits every 50,000 events; with one,
    /// every batch commits. `maximumBatches` stops early (for tests that interrupt a projection
    /// between batches).
    public func catchUp(
        with log: some EventLogReading, batchSize: Int? = nil, maximumBatches: Int? = nil,
        progress: ((ProjectionProgress) -> Void)? = nil
    ) throws -> Summary {
        let clock = ContinuousClock()
        let start = clock.now
        var summary = Summary()
        summary.fromPosition = state.checkpoint
        let end = log.endPosition
        guard state.checkpoint <= end else {
            throw ProjectionError(
                .needsRebuild,
                "the projection store has projected the log up to position \(state.checkpoint), but the log ends at \(end): "
                    + "the log lost events (restored from an older copy, or repaired)"
            )
        }
        if let projected = state.lastLine, state.checkpoint > 0,
            let found = try Projector.lineHash(in: log, at: state.checkpoint - 1), found != projected
        {
            // A reader can see bytes the writer has not synced yet; a power loss then takes them
            // back and later appends reuse their positions.
            throw ProjectionError(
                .needsRebuild,
                "the projection store has projected the log up to position \(state.checkpoint), but the log's event at "
                    + "position \(state.checkpoint - 1) is not the one it projected: the log lost events (a power loss "
                    + "before they were synced, or a restore) and was appended to since"
            )
        }
        if batchSize == nil, maximumBatches == nil, onePassLimit > 0, canRebuildInOnePass, end > 0 {
            try rebuild(with: log, summary: &summary, progress: progress)
        }
        let batchSize = batchSize ?? 50_000
        while state.checkpoint < end {
            if let maximumBatches, summary.batches >= maximumBatches { break }
            var events: [ProjectedEvent] = []
            try forEachEvent(in: log, from: state.checkpoint, upTo: min(end, state.checkpoint + UInt64(batchSize))) {
                events.append($0)
            }
            guard let last = events.last else { break }
            var batch = try apply(events, endPosition: last.position + 1)
            batch.lastLine = try Projector.lineHash(in: log, at: last.position)
            try store.commit(batch, rulesHash: rulesHash)
            afterCommit?()
            state.checkpoint = batch.endPosition
            state.lastLine = batch.lastLine
            state.storedNodes = state.graph.nodeCount
            summary.events += events.count
            summary.batches += 1
            summary.merges += batch.changes.filter { $0.kind == .merged }.count
            summary.splits += batch.changes.filter { $0.kind == .split }.count
            summary.newProfiles += batch.newProfiles.count
            progress?(ProjectionProgress(position: state.checkpoint, end: end))
        }
        summary.toPosition = state.checkpoint
        summary.seconds = (clock.now - start).inSeconds
        summary.eventsPerSecond = summary.seconds > 0 ? Double(summary.events) / summary.seconds : 0
        return summary
    }

    /// Applies events to the in-memory graph and works out everything the batch changes.
    func apply(_ events: [ProjectedEvent], endPosition: UInt64) throws -> ProjectionBatch {
        var batch = ProjectionBatch()
        batch.endPosition = endPosition
        var touched = Set<Node>()
        var touchedEdges = Set<UInt64>()
        // Events by index, not by value: copying an event retains every string and array in it.
        var anchors: [Node: [Int]] = [:]
        var observed: [[Node]] = []
        observed.reserveCapacity(events.count)
        try loadValues(of: events)
        for (index, e) in events.enumerated() {
            let nodes = state.graph.observe(e.identifiers, at: e.position, name: e.nameHash)
            touched.formUnion(nodes)
            observed.append(nodes)
            for i in 0..<nodes.count {
                for j in (i + 1)..<max(i + 1, nodes.count) {
                    touchedEdges.insert(IdentityGraph.key(nodes[i], nodes[j]))
                }
            }
            let anchor = state.graph.anchor(of: nodes, marks: &marks, resolver: resolver)
            if let anchor {
                anchors[anchor, default: []].append(index)
                TimelineIndex.append(e, to: &batch.timeline[anchor, default: []])
            }
        }
        // When and where each touched value was seen: stored values from the store, plus this batch.
        var seen = try store.seen(of: touched.filter { Int($0) < state.storedNodes })
        for (nodes, e) in zip(observed, events) {
            for n in nodes { seen[n, default: NodeSeen()].add(e.occurredAt, source: e.source) }
        }
        batch.nodes = touched.sorted().map {
            ProjectionBatch.NodeRow(node: $0, info: state.graph.nodes[Int($0)], seen: seen[$0] ?? NodeSeen())
        }
        batch.edges = touchedEdges.sorted().compactMap { k in
            // A touched edge is one this batch added or changed, so the graph has it.
            let (a, b) = IdentityGraph.ends(of: k)
            return state.graph.edge(a, b).map { (a, b, $0) }
        }
        // Node stats: the stored ones plus this batch's events.
        var stats = try store.stats(of: anchors.keys.filter { Int($0) < state.storedNodes })
        for (node, list) in anchors {
            // In place: a copy taken out of the dictionary would copy its counters on the first add.
            for i in list { stats[node, default: NodeStats()].add(events[i]) }
        }
        batch.stats = stats.sorted { $0.key < $1.key }
        let currency = rules.rfm.currency
        for (node, s) in batch.stats {
            let raw = RFMRaw(s, currency: currency)
            if !raw.isEmpty { batch.nodeRFM.append((node, raw)) }
        }

        // Identity: recompute the profiles of everything the batch could have moved.
        try settle(try closure(of: touched), stats: stats, into: &batch)
        return batch
    }

    /// Resolves the profiles of a node set closed under links and records in the batch
    /// everything that differs from the state: links, refusals, exclusions, memberships,
    /// profiles with their RFM inputs, merges and splits. `stats` are the batch's fresh node
    /// statistics (other values' RFM inputs come from the store).
    func settle(_ closure: [Node], stats: [Node: NodeStats], into batch: inout ProjectionBatch) throws {
        let endPosition = batch.endPosition
        let clock = ContinuousClock()
        let started = clock.now
        let resolution = resolver.resolve(closure, in: state.graph, marks: &marks)
        resolvingSeconds += (clock.now - started).inSeconds
        linkDecisions += resolution.accepted.count + resolution.refused.count
        // Links and standings: write only what differs from the store.
        var oldLinks = Set<UInt64>()
        var oldRefused: [UInt64: String] = [:]
        for n in closure {
            for m in state.graph.neighbours[Int(n)] {
                let k = IdentityGraph.key(n, m)
                if state.links.contains(k) { oldLinks.insert(k) }
                if let rule = state.refused[k] { oldRefused[k] = rule }
            }
        }
        let newLinks = Set(resolution.accepted.map { IdentityGraph.key($0.a, $0.b) })
        batch.linksAdded = newLinks.subtracting(oldLinks).sorted()
        batch.linksRemoved = oldLinks.subtracting(newLinks).sorted()
        for k in batch.linksRemoved { state.links.remove(k) }
        for k in batch.linksAdded { state.links.insert(k) }
        var newRefused: [UInt64: String] = [:]
        for r in resolution.refused { newRefused[IdentityGraph.key(r.link.a, r.link.b)] = r.rule }
        batch.refused = newRefused.filter { oldRefused[$0.key] != $0.value }.sorted { $0.key < $1.key }.map {
            ($0.key, $0.value)
        }
        batch.refusedRemoved = oldRefused.keys.filter { newRefused[$0] == nil }.sorted()
        for k in batch.refusedRemoved { state.refused[k] = nil }
        for (k, rule) in batch.refused { state.refused[k] = rule }
        var newExcluded: [Node: IdentityResolver.Standing] = [:]
        for x in resolution.excluded { newExcluded[x.node] = x.standing }
        for n in closure.sorted() {
            if let standing = newExcluded[n] {
                if state.excluded[n] != standing {
                    batch.excluded.append((n, standing))
                    state.excluded[n] = standing
                }
            } else if state.excluded.removeValue(forKey: n) != nil {
                batch.excludedRemoved.append(n)
            }
        }
        var before: [String: Set<Node>] = [:]
        var oldProfile: [Node: String] = [:]
        for n in closure {
            if let p = state.membership[n] {
                before[p, default: []].insert(n)
                oldProfile[n] = p
            }
        }
        for n in closure { state.membership[n] = nil }
        var after: [String: [Node]] = [:]
        if state.storedAtOpening > 0 {
            let ids = resolution.components.map { profileIDs.of(state.graph.nodes[Int($0[0])].identifier) }
            state.profileIDs.formUnion(try store.storedProfileIDs(among: ids.filter { !state.profileIDs.contains($0) }))
        }
        for component in resolution.components {
            let anchor = component[0]
            let id = profileIDs.of(state.graph.nodes[Int(anchor)].identifier)
            if state.profileIDs.insert(id).inserted {
                batch.newProfiles.append((id, anchor, state.graph.nodes[Int(anchor)].firstSeen))
            }
            after[id] = component
            for n in component {
                state.membership[n] = id
                if oldProfile[n] != id { batch.membership.append((n, id)) }
            }
            let previous = Set(component.compactMap { oldProfile[$0] })
            let absorbed = previous.subtracting([id]).sorted()
            if !absorbed.isEmpty {
                batch.changes.append(.init(position: endPosition - 1, kind: .merged, profile: id, others: absorbed))
            }
        }
        // RFM inputs of every recomputed profile: the sum over its values (anchors of this
        // batch from their new stats, the others from the store).
        var nodeRFM = try store.rfmRaw(of: closure.filter { Int($0) < state.storedNodes && stats[$0] == nil })
        for (node, raw) in batch.nodeRFM { nodeRFM[node] = raw }
        for (id, component) in after.sorted(by: { $0.key < $1.key }) {
            var raw = RFMRaw()
            for n in component { if let r = nodeRFM[n] { raw.add(r) } }
            batch.profileRFM.append((id, raw))
        }
        batch.profileRFMRemoved = before.keys.filter { after[$0] == nil }.sorted()
        for n in closure.sorted() where oldProfile[n] != nil && state.membership[n] == nil {
            batch.membershipRemoved.append(n)
        }
        for (old, nodes) in before.sorted(by: { $0.key < $1.key }) {
            let parts = Set(nodes.compactMap { state.membership[$0] })
            if parts.count > 1 || (parts.count == 1 && nodes.contains { state.membership[$0] == nil }) {
                batch.changes.append(
                    .init(position: endPosition - 1, kind: .split, profile: old, others: parts.sorted()))
            }
        }
    }

    // MARK: Loading the stored graph on demand

    /// Loads the stored values the events carry, with their neighbourhoods, before the events
    /// are observed (so no stored count or edge is shadowed by a fresh one).
    private func loadValues(of events: [ProjectedEvent]) throws {
        guard state.storedAtOpening > 0 else { return }
        var unknown = Set<Identifier>()
        for e in events { for id in e.identifiers where state.graph.node(id) == nil { unknown.insert(id) } }
        if !unknown.isEmpty {
            for (node, info) in try store.nodes(identifiedBy: Array(unknown)) {
                try checkKnown(node)
                state.graph.load(info, as: node)
            }
        }
        var stored: [Node] = []
        for e in events {
            for id in e.identifiers { if let n = state.graph.node(id), !state.isExpanded(n) { stored.append(n) } }
        }
        try expand(stored)
    }

    /// The closure of the touched values (see `IdentityResolver.closure`), loading stored
    /// values until every value it reaches is in memory. A value not yet expanded has no
    /// neighbours, so it counts as linking when its kind links: the closure takes it in, it is
    /// expanded, and the next round weighs its real standing.
    ///
    /// A value's standing can change without an event carrying it: the evidence guard weighs its
    /// partners' names, so a name on a partner's event can contest it. Such a value's other
    /// neighbours are then taken in as if touched, until no standing in the closure changes.
    private func closure(of touched: Set<Node>) throws -> [Node] {
        var seeds = touched
        while true {
            let closure = resolver.closure(of: seeds, in: state.graph, marks: &marks)
            let missing = closure.filter { !state.isExpanded($0) }
            if !missing.isEmpty {
                try expand(missing)
                continue
            }
            let moved = closure.filter { n in
                guard !seeds.contains(n) else { return false }
                let now = resolver.standing(of: n, in: state.graph, marks: &marks)
                return (now == .links ? nil : now) != state.excluded[n]
            }
            if moved.isEmpty { return closure }
            seeds.formUnion(moved)
        }
    }

    /// Refuses a value id the store hands over beyond every id this projector read or made:
    /// another process projected into the store meanwhile (a store shared by several servers
    /// makes them take turns; this is the projector's own guard, not a trap).
    private func checkKnown(_ node: Node) throws {
        guard Int(node) < state.graph.nodeCount else {
            throw ProjectionError(
                .overtaken,
                "the projection store holds value #\(node), which this projection neither read when it began nor made: another process projected meanwhile; run again"
            )
        }
    }

    /// Brings stored values' edges, links and standing into memory.
    private func expand(_ nodes: [Node]) throws {
        let todo = Set(nodes.filter { !state.isExpanded($0) }).sorted()
        guard !todo.isEmpty else { return }
        let around = try store.neighbourhood(of: todo)
        var ends = Set(todo.filter { !state.graph.isLoaded($0) })
        for e in around.edges {
            try checkKnown(e.a)
            try checkKnown(e.b)
            if !state.graph.isLoaded(e.a) { ends.insert(e.a) }
            if !state.graph.isLoaded(e.b) { ends.insert(e.b) }
        }
        if !ends.isEmpty {
            for (node, info) in try store.nodes(Array(ends)) { state.graph.load(info, as: node) }
            if let gap = ends.first(where: { !state.graph.isLoaded($0) }) {
                throw ProjectionError(
                    .needsRebuild, "the projection store has an edge to value #\(gap) but no such value"
                )
            }
        }
        for e in around.edges { state.graph.restoreEdge(e.a, e.b, e.info) }
        for k in around.links { state.links.insert(k) }
        for r in around.refused { state.refused[r.edge] = r.rule }
        for m in around.membership { state.membership[m.node] = m.profile }
        for x in around.excluded { state.excluded[x.node] = x.standing }
        state.expanded.formUnion(todo)
    }
}

extension IdentityGraph {
    /// `Projector.anchor(of:in:)` on the graph where it lies. `mutating` only so that a call on
    /// the projector's `state.graph` is an in-place access: borrowed from the class's storage,
    /// the graph was copied for each event.
    mutating func anchor(of nodes: [Node], marks: inout NeverLinkMarks, resolver: IdentityResolver) -> Node? {
        Projector.anchor(of: nodes, in: self, marks: &marks, resolver: resolver)
    }
}
