import Foundation
import KithCore

/// The in-memory reference adapter of `ProjectionStore`: dictionaries standing for the tables,
/// changed the way the port says, under one lock (so a commit is all or nothing). It is the
/// oracle the SQLite store is compared with, and what `kith bench identity` runs the real
/// projector on, so the benchmark times Kith's own identity code without a disk under it.
public final class MemoryProjectionStore: ProjectionStore, @unchecked Sendable {
    // @unchecked: every table is guarded by `lock`.
    public typealias Node = IdentityGraph.Node

    let lock = NSLock()
    private(set) var checkpoint: (position: UInt64, rulesHash: String, lastLine: EventKey?)?
    private(set) var nodes: [Node: (info: IdentityGraph.NodeInfo, seen: NodeSeen)] = [:]
    private(set) var nodeByIdentifier: [Identifier: Node] = [:]
    private(set) var edges: [UInt64: IdentityGraph.EdgeInfo] = [:]
    private(set) var edgesAt: [Node: Set<UInt64>] = [:]
    private(set) var statistics: [Node: NodeStats] = [:]
    private(set) var timelines: [Node: [UInt8]] = [:]
    private(set) var membership: [Node: String] = [:]
    private(set) var excluded: [Node: IdentityResolver.Standing] = [:]
    private(set) var links = Set<UInt64>()
    private(set) var refused: [UInt64: String] = [:]
    private(set) var profiles: [String: (anchor: Node, position: UInt64)] = [:]
    private(set) var changeLog: [ProjectionBatch.Change] = []
    private(set) var nodeRFM: [Node: RFMRaw] = [:]
    private(set) var profileRFM: [String: RFMRaw] = [:]
    private(set) var profileIDScheme: String?
    private(set) var view: RFMView?
    private(set) var rulesHistory: [AppliedRules] = []

    public init() {}

    // MARK: What the projector reads

    public func openingState() throws -> ProjectionState {
        lock.withLock {
            var state = ProjectionState()
            if let checkpoint {
                state.checkpoint = checkpoint.position
                state.rulesHash = checkpoint.rulesHash
                state.lastLine = checkpoint.lastLine
            }
            let count = (nodes.keys.max().map { Int($0) + 1 }) ?? 0
            state.storedNodes = count
            state.storedAtOpening = count
            return state
        }
    }

    public func nodes(identifiedBy identifiers: [Identifier]) throws -> [Node: IdentityGraph.NodeInfo] {
        lock.withLock {
            var out: [Node: IdentityGraph.NodeInfo] = [:]
            for identifier in identifiers {
                if let node = nodeByIdentifier[identifier], let stored = nodes[node] { out[node] = stored.info }
            }
            return out
        }
    }

    public func nodes(_ ids: [Node]) throws -> [Node: IdentityGraph.NodeInfo] {
        lock.withLock {
            var out: [Node: IdentityGraph.NodeInfo] = [:]
            for id in ids { if let stored = nodes[id] { out[id] = stored.info } }
            return out
        }
    }

    public func neighbourhood(of around: [Node]) throws -> Neighbourhood {
        lock.withLock {
            Self.neighbourhood(
                of: around, edgesAt: edgesAt, edges: edges, links: links, refused: refused, membership: membership,
                excluded: excluded)
        }
    }

    public func storedProfileIDs(among ids: [String]) throws -> Set<String> {
        lock.withLock { Set(ids.filter { profiles[$0] != nil }) }
    }

    public func stats(of around: [Node]) throws -> [Node: NodeStats] {
        lock.withLock {
            Dictionary(uniqueKeysWithValues: Set(around).compactMap { n in statistics[n].map { (n, $0) } })
        }
    }

    public func seen(of around: [Node]) throws -> [Node: NodeSeen] {
        lock.withLock {
            Dictionary(uniqueKeysWithValues: Set(around).compactMap { n in nodes[n].map { (n, $0.seen) } })
        }
    }

    public func rfmRaw(of around: [Node]) throws -> [Node: RFMRaw] {
        lock.withLock { Dictionary(uniqueKeysWithValues: Set(around).compactMap { n in nodeRFM[n].map { (n, $0) } }) }
    }

    // MARK: What the projector writes

    public func commit(_ batch: ProjectionBatch, rulesHash: String) throws {
        lock.withLock { apply(batch, rulesHash: rulesHash) }
    }

    public func commitRebuild(rulesHash: String, _ produce: (any RebuildSink) throws -> ProjectionBatch) throws {
        try lock.withLock {
            guard checkpoint == nil else {
                throw ProjectionError(.refused, "a rebuild needs an empty projection store")
            }
        }
        // The sink collects what `produce` streams, and lands with the batch, all at once.
        let sink = Sink()
        let batch = try produce(sink)
        lock.withLock {
            for row in sink.nodes { upsert(row) }
            for (node, stats, timeline) in sink.stats {
                statistics[node] = stats
                timelines[node, default: []].append(contentsOf: timeline)
            }
            apply(batch, rulesHash: rulesHash)
        }
    }

    private final class Sink: RebuildSink {
        var nodes: [ProjectionBatch.NodeRow] = []
        var stats: [(Node, NodeStats, [UInt8])] = []
        func append(_ node: ProjectionBatch.NodeRow) throws { nodes.append(node) }
        func append(_ stats: NodeStats, timeline: [UInt8], of node: Node) throws {
            self.stats.append((node, stats, timeline))
        }
    }

    /// A batch's rows and checkpoint, in the order and with the conflict rules the SQLite store
    /// applies them (the caller holds the lock).
    private func apply(_ batch: ProjectionBatch, rulesHash: String) {
        for row in batch.nodes { upsert(row) }
        for (a, b, info) in batch.edges {
            let key = IdentityGraph.key(a, b)
            edges[key] = info
            edgesAt[a, default: []].insert(key)
            edgesAt[b, default: []].insert(key)
        }
        for (node, stats) in batch.stats {
            statistics[node] = stats
            timelines[node, default: []].append(contentsOf: batch.timeline[node] ?? [])
        }
        for (node, profile) in batch.membership { membership[node] = profile }
        for node in batch.membershipRemoved { membership[node] = nil }
        for (node, standing) in batch.excluded { excluded[node] = standing }
        for node in batch.excludedRemoved { excluded[node] = nil }
        links.formUnion(batch.linksAdded)
        links.subtract(batch.linksRemoved)
        for (key, rule) in batch.refused { refused[key] = rule }
        for key in batch.refusedRemoved { refused[key] = nil }
        for p in batch.newProfiles where profiles[p.id] == nil { profiles[p.id] = (p.anchor, p.position) }
        changeLog.append(contentsOf: batch.changes)
        for (node, raw) in batch.nodeRFM { nodeRFM[node] = raw }
        for (profile, raw) in batch.profileRFM { profileRFM[profile] = raw }
        for profile in batch.profileRFMRemoved { profileRFM[profile] = nil }
        checkpoint = (batch.endPosition, rulesHash, batch.lastLine)
    }

    /// A value is inserted once; later rows update all but what it is.
    private func upsert(_ row: ProjectionBatch.NodeRow) {
        if let stored = nodes[row.node] {
            var info = row.info
            info.identifier = stored.info.identifier
            nodes[row.node] = (info, row.seen)
        } else {
            nodes[row.node] = (row.info, row.seen)
            nodeByIdentifier[row.info.identifier] = row.node
        }
    }

    public func adoptProfileIDs(_ ids: ProfileIDs) throws {
        lock.withLock {
            guard profileIDScheme != ids.scheme else { return }
            defer { profileIDScheme = ids.scheme }
            var renamed: [String: String] = [:]
            for (old, profile) in profiles {
                guard let anchor = nodes[profile.anchor]?.info.identifier else { continue }
                let new = ids.of(anchor)
                guard new != old else { continue }
                renamed[old] = new
                if profiles[new] == nil { profiles[new] = profile }
            }
            guard !renamed.isEmpty else { return }
            for (node, profile) in membership { if let new = renamed[profile] { membership[node] = new } }
            for (old, new) in renamed { if let raw = profileRFM.removeValue(forKey: old) { profileRFM[new] = raw } }
            for i in changeLog.indices {
                changeLog[i].profile = renamed[changeLog[i].profile] ?? changeLog[i].profile
                changeLog[i].others = changeLog[i].others.map { renamed[$0] ?? $0 }
            }
        }
    }

    public func saveRFM(_ view: RFMView, applying rules: AppliedRules) throws {
        lock.withLock {
            self.view = view
            if rulesHistory.last?.hash != rules.hash { rulesHistory.append(rules) }
        }
    }

    // MARK: For comparing stores

    /// Every value's profile (membership), for comparing with another store.
    public var profileOfValue: [Identifier: String] {
        lock.withLock {
            var out: [Identifier: String] = [:]
            for (node, profile) in membership { if let info = nodes[node]?.info { out[info.identifier] = profile } }
            return out
        }
    }

    /// The accepted links, as pairs of values.
    public var acceptedLinks: Int { lock.withLock { links.count } }

    /// Merges and splits recorded, in order.
    public var changes: [ProjectionBatch.Change] { lock.withLock { changeLog } }

    /// How many values stand excluded, by the standing's kind.
    public var excludedByStanding: [IdentityResolver.Standing.Kind: Int] {
        lock.withLock {
            var out: [IdentityResolver.Standing.Kind: Int] = [:]
            for standing in excluded.values { out[standing.kind, default: 0] += 1 }
            return out
        }
    }

    /// The number of edges (values seen together) stored.
    public var edgeCount: Int { lock.withLock { edges.count } }

    /// The number of identifier values stored.
    public var valueCount: Int { lock.withLock { nodes.count } }
}
