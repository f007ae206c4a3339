import Foundation
import KithCore
import KithMemory
import KithProjections

/// `kith bench identity`: the projector itself (decoding, graph, closure, resolution, guards,
/// merge and split bookkeeping, statistics), on a synthetic identifier graph whose shape the
/// user controls, over the in-memory reference log and store. No disk, no SQL: what is timed is
/// the code `kith project` runs, not a copy of it.
public struct IdentityBenchmark: Sendable {
    public var workload: SyntheticIdentities
    /// Events per batch; nil projects the whole log in one pass, as a rebuild does.
    public var batchSize: Int?

    public init(workload: SyntheticIdentities, batchSize: Int?) {
        self.workload = workload
        self.batchSize = batchSize
    }

    /// What one run measured.
    public struct Result: Codable, Sendable {
        public var persons: Int
        public var events: Int
        public var identifierValues: Int
        public var edges: Int
        public var links: Int
        public var merges: Int
        public var splits: Int
        public var profiles: Int
        public var sharedValues: Int
        public var seconds: Double
        public var eventsPerSecond: Double
        public var linksPerSecond: Double
        public var mergesPerSecond: Double
        public var splitsPerSecond: Double
        public var bytesPerIdentifier: Double
        /// The resolver's own time (`Projector.resolvingSeconds`): deciding links, without
        /// reading events, folding statistics or writing rows.
        public var resolvingSeconds: Double
        public var resolvingLinksPerSecond: Double

        enum CodingKeys: String, CodingKey {
            case persons, events, edges, links, merges, splits, profiles, seconds
            case identifierValues = "identifier_values"
            case sharedValues = "shared_values"
            case eventsPerSecond = "events_per_second"
            case linksPerSecond = "links_per_second"
            case mergesPerSecond = "merges_per_second"
            case splitsPerSecond = "splits_per_second"
            case bytesPerIdentifier = "bytes_per_identifier"
            case resolvingSeconds = "resolving_seconds"
            case resolvingLinksPerSecond = "resolving_links_per_second"
        }
    }

    /// Builds the log (untimed), then times the projector over it.
    public func run() throws -> Result {
        let events = workload.events()
        let log = MemoryEventLog()
        _ = try log.append(try SyntheticIdentities.lines(events))
        let residentBefore = ResidentMemory.current()
        let store = MemoryProjectionStore()
        let projector = try Projector(store: store, rules: .standard)
        if batchSize != nil { projector.onePassLimit = 0 }
        let summary = try projector.catchUp(with: log, batchSize: batchSize.map { max(1, $0) })
        let seconds = summary.seconds
        let resident = max(0, ResidentMemory.current() - residentBefore)
        return Result(
            persons: workload.persons, events: events.count, identifierValues: store.valueCount,
            edges: store.edgeCount, links: store.acceptedLinks, merges: summary.merges, splits: summary.splits,
            profiles: Set(store.profileOfValue.values).count,
            sharedValues: store.excludedByStanding[.shared, default: 0], seconds: seconds,
            eventsPerSecond: Double(events.count) / seconds,
            linksPerSecond: Double(projector.linkDecisions) / seconds,
            mergesPerSecond: Double(summary.merges) / seconds,
            splitsPerSecond: Double(summary.splits) / seconds,
            bytesPerIdentifier: Double(resident) / Double(max(1, store.valueCount)),
            resolvingSeconds: projector.resolvingSeconds,
            resolvingLinksPerSecond: Double(projector.linkDecisions) / max(projector.resolvingSeconds, 1e-9))
    }
}
