import Foundation
import KithCore
import KithMemory
import KithProjections
import Testing

/// The promises of `ProfileQueries` (the store's read side), checked the same way for every
/// adapter, with the in-memory reference as the oracle: every lookup, page, explanation,
/// report and export assembled above the port reads the same from the adapter as from the
/// reference, and a snapshot is one commit.
public enum ProfileQueriesContract {
    /// The instant and clock every RFM refresh of the contract uses, so views compare equal.
    static let asOf: Int64 = 1_790_000_000
    static let now = Date(timeIntervalSince1970: 1_790_000_100)

    /// A store of `adapter` and the reference, both projected from the same log under
    /// `rules` (the adapter batch by batch, reopened between catch-ups) and refreshed.
    static func projected(
        _ adapter: ProjectionStoreAdapter, persons: Int, seed: UInt64, rules: Rules = .standard
    ) throws -> (store: any ProfileStore, reference: MemoryProjectionStore, log: MemoryEventLog) {
        let log = try ProjectionStoreContract.log(persons: persons, seed: seed)
        // Both batch by batch, the same way: merges and splits are history, and history
        // depends on where batches end.
        func project(into place: any ProjectionStorePlace) throws -> any ProfileStore {
            var position: UInt64 = 0
            while position < log.endPosition {
                let projector = try Projector(store: try place.open(), rules: rules)
                projector.onePassLimit = 0
                position = try projector.catchUp(with: log, batchSize: 97, maximumBatches: 2).toPosition
            }
            let store = try place.open()
            try RFMRefresh.run(on: store, rules: rules, asOf: asOf, pinned: true, now: now)
            return store
        }
        let reference = MemoryProjectionStore()
        _ = try project(into: ReferencePlace(store: reference))
        return (try project(into: try adapter.makePlace()), reference, log)
    }

    /// Everything a lookup read, as text to compare.
    public static func summary(_ lookup: IdentifierLookup?) -> String {
        guard let lookup else { return "none" }
        let values = lookup.values.map { "\($0.node) \($0.info) \($0.seen) \(String(describing: $0.stats))" }
        return "\(lookup.node) \(lookup.profile ?? "-") \(String(describing: lookup.standing)) \(values) "
            + String(describing: lookup.model.map { try? json($0) })
    }

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Every reference a user could look up: current and earlier profile ids, every stored
    /// value in a spelling of its own, and references the store never saw.
    static func references(in store: some ProfileQueries) throws -> [String] {
        try store.reading { snapshot in
            var out = Set<String>()
            try snapshot.forEachMember { _, profile in out.insert(profile) }
            try snapshot.forEachChange { change in
                out.insert(change.profile)
                out.formUnion(change.others)
            }
            try snapshot.forEachNode { _, info in
                out.insert("\(info.identifier.kind.rawValue):\(info.identifier.value)")
            }
            out.formUnion(["p0000000000000000", "phone:+8613000000001", "email:nobody@nowhere.example", "bogus:x"])
            return out.sorted()
        }
    }

    /// Resolution, the unified view, the timeline (paged by cursor), the explanation, the RFM
    /// view and its entries, the identity statistics, clusters, suspects and the export are
    /// the same from the adapter as from the reference; and the log exercises merges, splits
    /// and earlier ids.
    public static func everyReadAgreesWithTheReference(_ adapter: ProjectionStoreAdapter) throws {
        let rules = Rules.standard
        let (store, reference, log) = try projected(adapter, persons: 250, seed: 21, rules: rules)
        let changes = reference.changes
        #expect(changes.contains { $0.kind == .merged }, "the log made no merge")
        #expect(changes.contains { $0.kind == .split }, "the log made no split")

        var statuses: [String: Int] = [:]
        var timelines = 0
        for ref in try references(in: reference) {
            let expected = try reference.resolve(ref)
            let resolved = try store.resolve(ref)
            #expect(resolved == expected, "\(ref) resolves differently")
            statuses[expected?.status ?? "unknown", default: 0] += 1
            let view = try store.profile(ref, traitRules: rules.traits)
            let expectedView = try reference.profile(ref, traitRules: rules.traits)
            #expect(try view.map(json) == expectedView.map(json), "the view of \(ref) differs")
            #expect(
                try store.lookUpProfile(ref, traitRules: rules.traits)?.resolution == expected,
                "\(ref) resolves differently when looked up")
            if let identifier = ProfileResolution.identifier(in: ref) {
                // The store's own lookup (one statement on PostgreSQL) reads what its plain reads do.
                #expect(
                    try summary(store.lookUp(identifier)) == summary(store.reading { try $0.lookUp(identifier) }),
                    "the lookup of \(ref) in one read differs from its plain reads")
            }
            guard let current = expected?.current, ref == current else { continue }
            #expect(try json(store.explain(current, in: log)) == json(reference.explain(current, in: log)))
            let whole = try store.timeline(current, limit: 10_000, in: log)
            #expect(try json(whole) == json(reference.timeline(current, limit: 10_000, in: log)))
            // Paging by cursor walks the same events, once each, in the same order.
            var paged: [TimelineEntry] = []
            var cursor: TimelineCursor?
            while true {
                let page = try store.timeline(current, limit: 2, before: cursor, in: log)
                paged += page
                guard page.count == 2, let last = page.last else { break }
                cursor = last.cursor
            }
            #expect(paged == whole, "paging \(current)'s timeline by two skips or repeats events")
            let orders = try store.timeline(current, limit: 100, type: "transaction", in: log)
            #expect(orders == whole.filter { $0.type == "transaction" })
            if !whole.isEmpty { timelines += 1 }
        }
        #expect(
            (statuses["merged"] ?? 0) > 0 && (statuses["unlinked"] ?? 0) > 0 && (statuses["unknown"] ?? 0) >= 4,
            "\(statuses)")
        #expect(timelines > 100)

        #expect(try store.rfmView() == reference.rfmView())
        #expect(try store.rulesApplied() == reference.rulesApplied())
        // Every profile's RFM inputs, without ids: the same values as the ordered read gives.
        func raws(_ s: some ProfileQueries, withIDs: Bool) throws -> [String] {
            try s.reading { snapshot in
                var out: [String] = []
                if withIDs {
                    try snapshot.forEachProfileRFM(after: nil) { _, raw in
                        out.append("\(raw)")
                        return true
                    }
                } else {
                    try snapshot.forEachRFMRaw { out.append("\($0)") }
                }
                return out.sorted()
            }
        }
        // Every value's profile, grouped by profile in id order (byte order), values ascending:
        // what the replay report joins in step with the RFM rows.
        func members(_ s: some ProfileQueries) throws -> [(node: IdentityGraph.Node, profile: String)] {
            try s.reading { snapshot in
                var out: [(node: IdentityGraph.Node, profile: String)] = []
                try snapshot.forEachMember { out.append(($0, $1)) }
                return out
            }
        }
        let listed = try members(store)
        let ordered = listed.sorted {
            $0.profile == $1.profile ? $0.node < $1.node : $0.profile.utf8.lexicographicallyPrecedes($1.profile.utf8)
        }
        #expect(listed.map(\.node) == ordered.map(\.node) && listed.count > 100, "members out of profile id order")
        #expect(
            Set(listed.map { "\($0.node) \($0.profile)" })
                == Set(try members(reference).map { "\($0.node) \($0.profile)" }))
        let inputs = try raws(reference, withIDs: true)
        #expect(try raws(store, withIDs: false) == inputs && inputs.count > 100)
        #expect(try raws(reference, withIDs: false) == inputs)
        func entries(_ s: some ProfileQueries, after: String? = nil) throws -> [String] {
            var out: [String] = []
            try s.forEachRFM(after: after) { entry in
                out.append("\(entry.profile) \(entry.raw) \(String(describing: entry.score)) \(entry.stage)")
                return out.count < 10_000
            }
            return out
        }
        let all = try entries(reference)
        #expect(try entries(store) == all && all.count > 100)
        let middle = String(all[all.count / 2].prefix { $0 != " " })
        #expect(try entries(store, after: middle) == entries(reference, after: middle))
        #expect(try entries(store, after: middle).count == all.count - all.count / 2 - 1)

        #expect(try json(store.identityStats()) == json(reference.identityStats()))
        #expect(try Set(store.clusters().map { Set($0) }) == Set(reference.clusters().map { Set($0) }))
        #expect(try store.suspects(limit: 50, rules: rules) == reference.suspects(limit: 50, rules: rules))
        func export(_ s: some ProfileQueries) throws -> [String] {
            var out: [String] = []
            try s.forEachProfile(traitRules: rules.traits) { out.append(try json($0)) }
            return out
        }
        #expect(try export(store) == export(reference))
    }

    /// A replay's impact report reads both stores through the port: comparing the adapter's
    /// store with the reference's under other rules gives the same report as comparing the two
    /// references.
    public static func replayImpactReadsThroughThePort(_ adapter: ProjectionStoreAdapter) throws {
        var strict = Rules.standard
        strict.evidence = EvidenceRules(names: true, limits: true)
        var loose = Rules.standard
        loose.evidence = EvidenceRules(names: false, limits: false)
        let (live, liveReference, _) = try projected(adapter, persons: 200, seed: 5, rules: loose)
        let (shadow, shadowReference, _) = try projected(adapter, persons: 200, seed: 5, rules: strict)
        let expected = try ReplayImpact(live: liveReference, shadow: shadowReference)
        #expect(try json(ReplayImpact(live: live, shadow: shadow)) == json(expected))
        #expect(expected.liveProfiles > 0 && expected.shadowProfiles > 0)
    }

    /// What `reading` lends is one commit: a batch committed while a reader holds a snapshot is
    /// not in it, and is in the next one.
    public static func aSnapshotIsOneCommit(_ adapter: ProjectionStoreAdapter) throws {
        let log = try ProjectionStoreContract.log(persons: 60, seed: 33)
        let place = try adapter.makePlace()
        let first = try Projector(store: try place.open(), rules: .standard)
        first.onePassLimit = 0
        _ = try first.catchUp(with: log, batchSize: 50, maximumBatches: 1)
        let store = try place.open()
        let writer = try Projector(store: try place.open(), rules: .standard)
        writer.onePassLimit = 0
        let (before, during, profilesBefore, profilesDuring) = try store.reading { snapshot in
            let before = try snapshot.checkpoint()
            var profiles = 0
            try snapshot.forEachProfile { _, _ in profiles += 1 }
            // Another thread commits the rest of the log while this snapshot is held.
            let done = DispatchSemaphore(value: 0)
            let failure = ErrorBox()
            nonisolated(unsafe) let writer = writer
            Thread.detachNewThread {
                do { _ = try writer.catchUp(with: log) } catch { failure.error = error }
                done.signal()
            }
            done.wait()
            if let error = failure.error { throw error }
            var during = 0
            try snapshot.forEachProfile { _, _ in during += 1 }
            return (before, try snapshot.checkpoint(), profiles, during)
        }
        #expect(before == 50 && during == 50, "a snapshot saw a later commit")
        #expect(profilesDuring == profilesBefore)
        #expect(try store.checkpointPosition() == log.endPosition, "the commit is not in the next snapshot")
    }

    /// The reference store, handed back as it is on every "reopening".
    final class ReferencePlace: ProjectionStorePlace {
        let store: MemoryProjectionStore
        init(store: MemoryProjectionStore) { self.store = store }
        func open() throws -> any ProfileStore { store }
    }

    final class ErrorBox: @unchecked Sendable {
        var error: (any Error)?
    }
}
