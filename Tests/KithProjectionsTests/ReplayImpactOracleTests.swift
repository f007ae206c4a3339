import Foundation
import KithCore
import KithMemory
import KithTestSupport
import Testing

@testable import KithProjections

/// The replay impact report as it was first written: every value and profile keyed by its
/// text. Slow, but plain enough to trust; the report on dense ids must agree with it.
private struct ReplayImpactOracle: Encodable {
    typealias Example = ReplayImpact.Example
    typealias Move = ReplayImpact.Move

    var livePosition: UInt64
    var shadowPosition: UInt64
    var liveProfiles: Int
    var shadowProfiles: Int
    /// Shadow profiles that join values of two or more live profiles.
    var merged: Int
    var mergedExamples: [Example]
    /// Live profiles whose values end up in two or more shadow profiles (or in none).
    var split: Int
    var splitExamples: [Example]
    /// Links the shadow refuses that the live store did not, by rule.
    var newlyRefused: [String: Int]
    var newlyRefusedExamples: [Example]
    /// Segment keys, `prospect` and `absent` on both axes: every (from, to) with its count.
    var segmentTransitions: [Move]
    var stageChanges: [Move]

    /// The report's own keys: the oracle's JSON must be comparable byte for byte.
    typealias CodingKeys = ReplayImpact.CodingKeys

    init(live: some ProfileQueries, shadow: some ProfileQueries) throws {
        let old = try Side(live)
        let new = try Side(shadow)
        livePosition = old.position
        shadowPosition = new.position
        liveProfiles = old.profiles.count
        shadowProfiles = new.profiles.count

        var sourcesOfNew: [String: Set<String>] = [:]
        var targetsOfOld: [String: Set<String>] = [:]
        for (value, oldProfile) in old.membership {
            let newProfile = new.membership[value] ?? "(unlinked)"
            targetsOfOld[oldProfile, default: []].insert(newProfile)
        }
        for (value, newProfile) in new.membership {
            if let oldProfile = old.membership[value] { sourcesOfNew[newProfile, default: []].insert(oldProfile) }
        }
        let mergedList = sourcesOfNew.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
        merged = mergedList.count
        mergedExamples = mergedList.prefix(ReplayImpact.examplesPerChange).map {
            Example(profile: $0.key, detail: "joins " + $0.value.sorted().joined(separator: ", "))
        }
        let splitList = targetsOfOld.filter { $0.value.count > 1 }.sorted { $0.key < $1.key }
        split = splitList.count
        splitExamples = splitList.prefix(ReplayImpact.examplesPerChange).map {
            Example(profile: $0.key, detail: "now " + $0.value.sorted().joined(separator: ", "))
        }

        var refusedCounts: [String: Int] = [:]
        var refusedExamples: [Example] = []
        for (pair, rule) in new.refused.sorted(by: { $0.key < $1.key }) where old.refused[pair] == nil {
            refusedCounts[rule, default: 0] += 1
            if refusedExamples.count < ReplayImpact.examplesPerChange {
                let profile = new.membership[pair.a] ?? new.membership[pair.b] ?? "(unlinked)"
                refusedExamples.append(
                    Example(
                        profile: profile, detail: "\(Disclosure.masked(pair.a)) — \(Disclosure.masked(pair.b)): \(rule)"
                    ))
            }
        }
        newlyRefused = refusedCounts
        newlyRefusedExamples = refusedExamples

        // Each current profile's successor: the profile of the same id, else the one that now
        // holds most of its values (ties to the smaller id).
        var successor: [String: String] = [:]
        var valuesOf: [String: [String: Int]] = [:]
        for (value, oldProfile) in old.membership where new.profiles[oldProfile] == nil {
            if let n = new.membership[value] { valuesOf[oldProfile, default: [:]][n, default: 0] += 1 }
        }
        for id in old.profiles.keys {
            if new.profiles[id] != nil {
                successor[id] = id
            } else if let best = valuesOf[id]?.min(by: { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key })
            {
                successor[id] = best.key
            }
        }
        let succeeded = Set(successor.values)
        func moves(_ key: (Side.Entry?) -> String) -> [Move] {
            var counts: [String: [String: (Int, [String])]] = [:]
            func count(_ from: String, _ to: String, _ example: String) {
                var cell = counts[from, default: [:]][to] ?? (0, [])
                cell.0 += 1
                if from != to && cell.1.count < ReplayImpact.examplesPerChange { cell.1.append(example) }
                counts[from, default: [:]][to] = cell
            }
            for id in old.profiles.keys.sorted() {
                count(key(old.profiles[id]), key(successor[id].flatMap { new.profiles[$0] }), id)
            }
            for id in new.profiles.keys.sorted() where !succeeded.contains(id) {
                count("absent", key(new.profiles[id]), id)
            }
            return counts.flatMap { from, row in
                row.map { Move(from: from, to: $0.key, count: $0.value.0, examples: $0.value.1) }
            }.sorted { ($0.from, $0.to) < ($1.from, $1.to) }
        }
        segmentTransitions = moves { $0.map { $0.segment?.key ?? "prospect" } ?? "absent" }
        stageChanges = moves { $0.map { $0.stage.key } ?? "absent" }
    }

    /// One store, read once.
    struct Side {
        struct Entry {
            var segment: Segment?
            var stage: LifecycleStage
        }
        var position: UInt64 = 0
        var membership: [String: String] = [:]
        var refused: [Pair: String] = [:]
        var profiles: [String: Entry] = [:]

        struct Pair: Hashable, Comparable {
            var a: String
            var b: String
            static func < (l: Pair, r: Pair) -> Bool { (l.a, l.b) < (r.a, r.b) }
        }

        init(_ store: some ProfileQueries) throws {
            var side = Side()
            try store.reading { snapshot in
                let model = try snapshot.rfmModel()
                side.position = try snapshot.checkpoint()
                var label: [IdentityGraph.Node: String] = [:]
                try snapshot.forEachNode { node, info in
                    label[node] = "\(info.identifier.kind.rawValue):\(info.identifier.value)"
                }
                try snapshot.forEachMember { node, profile in
                    if let value = label[node] { side.membership[value] = profile }
                }
                try snapshot.forEachRefusedLink { a, b, rule in
                    guard let p = label[a], let q = label[b] else { return }
                    side.refused[Pair(a: min(p, q), b: max(p, q))] = rule
                }
                try snapshot.forEachProfileRFM(after: nil) { profile, raw in
                    side.profiles[profile] = Entry(
                        segment: model?.score(raw)?.segment,
                        stage: model?.stage(raw) ?? LifecycleStage(raw, asOf: 0, rules: .init()))
                    return true
                }
            }
            self = side
        }

        init() {}
    }
}

@Suite("Replay impact against its oracle")
struct ReplayImpactOracleTests {
    static let asOf: Int64 = 1_790_000_000

    static func json(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func store(persons: Int, seed: UInt64, rules: Rules, batchSize: Int?) throws -> MemoryProjectionStore {
        let store = MemoryProjectionStore()
        let projector = try Projector(store: store, rules: rules)
        if batchSize != nil { projector.onePassLimit = 0 }
        _ = try projector.catchUp(
            with: try ProjectionStoreContract.log(persons: persons, seed: seed), batchSize: batchSize)
        try RFMRefresh.run(
            on: store, rules: rules, asOf: asOf, pinned: true, now: Date(timeIntervalSince1970: 1_790_000_100))
        return store
    }

    @Test(
        "Under every pair of rules, between logs that number values differently, and with reads out of id order, the report equals the oracle's (property)"
    )
    func agreesWithTheOracle() throws {
        var strict = Rules.standard
        strict.identifiers["phone"]?.limit = 1
        strict.identifiers["email"]?.limit = 1
        // The kiosk links shoppers until the email limit refuses them.
        strict.sharedValueThreshold = 100
        strict.evidence = EvidenceRules(names: false, limits: false)
        var loose = Rules.standard
        loose.evidence = EvidenceRules(names: false, limits: false)
        loose.sharedValueThreshold = 2
        var unlinkedEmail = Rules.standard
        unlinkedEmail.identifiers["email"]?.links = false
        let variants = [Rules.standard, strict, loose, unlinkedEmail]
        var seen = (merged: 0, split: 0, refused: 0, renumbered: 0, listed: 0)
        for (i, liveRules) in variants.enumerated() {
            for (j, shadowRules) in variants.enumerated() {
                // The same log, or (on the diagonal) another log of the same people: values then
                // have other node numbers, and some are in one store only.
                let live = try Self.store(persons: 240, seed: 3, rules: liveRules, batchSize: i % 2 == 0 ? nil : 53)
                let shadow = try Self.store(
                    persons: i == j ? 260 : 240, seed: i == j ? 4 : 3, rules: shadowRules,
                    batchSize: j % 2 == 0 ? 71 : nil)
                let expected = try ReplayImpactOracle(live: live, shadow: shadow)
                let report = try ReplayImpact(live: live, shadow: shadow)
                #expect(try Self.json(report) == Self.json(expected), "live rules \(i), shadow rules \(j)")
                // The report joins the port's sorted lists in step, but must not depend on them.
                let seed = UInt64(i * variants.count + j)
                let scrambled = try ReplayImpact(
                    live: OutOfOrderReads(store: live, seed: seed), shadow: OutOfOrderReads(store: shadow, seed: ~seed))
                #expect(try Self.json(scrambled) == Self.json(expected), "out of order: live \(i), shadow \(j)")
                seen.listed += (report.segmentTransitions + report.stageChanges).filter { $0.examples.count > 1 }.count
                seen.merged += expected.merged
                seen.split += expected.split
                seen.refused += expected.newlyRefused.values.reduce(0, +)
                if i == j { seen.renumbered += 1 }
            }
        }
        // The property must meet every kind of change, or it proves little.
        // Order shows where a move lists several examples.
        #expect(seen.merged > 0 && seen.split > 0 && seen.refused > 0 && seen.listed > 0, "\(seen)")
    }

    @Test(
        "A profile whose values split evenly, none keeping its id, is succeeded by the smaller id, as the oracle says")
    func anEvenSplitGoesToTheSmallerID() throws {
        var lines = EncodedLines()
        let parser = EventLineParser()
        for (i, ids) in [#""email":"a@mail.com","phone":"+8613912345670""#, #""email":"a@mail.com","member_id":"m1""#]
            .enumerated()
        {
            let text =
                #"{"event_id":"t\#(i)","source":"app","type":"behaviour","name":"app_open","occurred_at":"2026-03-01T10:00:0\#(i)Z","identifiers":{\#(ids)}}"#
            let bytes = Array(text.utf8)
            let parsed = try bytes.withUnsafeBufferPointer { try parser.parse($0, appendingTo: &lines.bytes).get() }
            lines.endLine(key: parsed.key)
        }
        let log = MemoryEventLog()
        _ = try log.append(lines)
        var unlinkedEmail = Rules.standard
        unlinkedEmail.identifiers["email"]?.links = false
        func store(_ rules: Rules) throws -> MemoryProjectionStore {
            let store = MemoryProjectionStore()
            _ = try Projector(store: store, rules: rules).catchUp(with: log)
            try RFMRefresh.run(on: store, rules: rules, asOf: Self.asOf, pinned: true, now: Date())
            return store
        }
        let live = try store(.standard)
        let shadow = try store(unlinkedEmail)
        let report = try ReplayImpact(live: live, shadow: shadow)
        #expect(try Self.json(report) == Self.json(ReplayImpactOracle(live: live, shadow: shadow)))
        // One profile became two and no new profile is left over: each value's profile counts once.
        #expect(report.liveProfiles == 1 && report.shadowProfiles == 2 && report.split == 1)
        let absent = report.stageChanges.filter { $0.from == "absent" }.map(\.count).reduce(0, +)
        #expect(absent == 1, "one shadow profile succeeds the live one; the other is new")
    }
}

/// A store read through the port with its members and RFM rows handed out of order (seeded
/// shuffles), for the report's paths that do not rely on the port's id order.
private struct OutOfOrderReads: ProfileQueries {
    let store: MemoryProjectionStore
    let seed: UInt64

    func reading<T>(_ body: (any ProfileSnapshot) throws -> T) throws -> T {
        try store.reading { try body(Snapshot(base: $0, seed: seed)) }
    }

    struct Snapshot: ProfileSnapshot {
        let base: any ProfileSnapshot
        let seed: UInt64

        /// `items` in a scrambled order, the same for the same seed.
        func shuffled<T>(_ items: [T]) -> [T] {
            func mixed(_ i: Int) -> UInt64 {
                let z = (UInt64(i) &+ seed &* 0x9E37_79B9_7F4A_7C15) &* 0xBF58_476D_1CE4_E5B9
                return z ^ (z >> 29)
            }
            return items.indices.sorted { mixed($0) < mixed($1) }.map { items[$0] }
        }

        func forEachMember(_ body: (Node, String) throws -> Void) throws {
            var all: [(Node, String)] = []
            try base.forEachMember { all.append(($0, $1)) }
            for (node, profile) in shuffled(all) { try body(node, profile) }
        }

        func forEachProfileRFM(after: String?, _ body: (String, RFMRaw) throws -> Bool) throws {
            var all: [(String, RFMRaw)] = []
            try base.forEachProfileRFM(after: after) {
                all.append(($0, $1))
                return true
            }
            for (profile, raw) in shuffled(all) where try !body(profile, raw) { return }
        }

        func checkpoint() throws -> UInt64 { try base.checkpoint() }
        func nodes(identifiedBy identifiers: [Identifier]) throws -> [Node: IdentityGraph.NodeInfo] {
            try base.nodes(identifiedBy: identifiers)
        }
        func nodes(_ ids: [Node]) throws -> [Node: IdentityGraph.NodeInfo] { try base.nodes(ids) }
        func neighbourhood(of nodes: [Node]) throws -> Neighbourhood { try base.neighbourhood(of: nodes) }
        func profiles(of nodes: [Node]) throws -> [Node: String] { try base.profiles(of: nodes) }
        func standings(of nodes: [Node]) throws -> [Node: IdentityResolver.Standing] { try base.standings(of: nodes) }
        func anchor(ofProfileID id: String) throws -> Node? { try base.anchor(ofProfileID: id) }
        func changes(of profile: String) throws -> [ProjectionBatch.Change] { try base.changes(of: profile) }
        func members(of profile: String) throws -> [Node] { try base.members(of: profile) }
        func values(of profile: String) throws -> [StoredValue] { try base.values(of: profile) }
        func timelines(of nodes: [Node]) throws -> [Node: [UInt8]] { try base.timelines(of: nodes) }
        func rfmModel() throws -> RFMModel? { try base.rfmModel() }
        func rfmView() throws -> RFMView? { try base.rfmView() }
        func forEachRFMRaw(_ body: (RFMRaw) throws -> Void) throws { try base.forEachRFMRaw(body) }
        func rulesApplied() throws -> [AppliedRules] { try base.rulesApplied() }
        func valueCount() throws -> Int { try base.valueCount() }
        func forEachNode(_ body: (Node, IdentityGraph.NodeInfo) throws -> Void) throws { try base.forEachNode(body) }
        func forEachEdge(_ body: (Node, Node, IdentityGraph.EdgeInfo) throws -> Void) throws {
            try base.forEachEdge(body)
        }
        func forEachLink(_ body: (Node, Node) throws -> Void) throws { try base.forEachLink(body) }
        func forEachRefusedLink(_ body: (Node, Node, String) throws -> Void) throws {
            try base.forEachRefusedLink(body)
        }
        func forEachStanding(_ body: (Node, IdentityResolver.Standing) throws -> Void) throws {
            try base.forEachStanding(body)
        }
        func forEachChange(_ body: (ProjectionBatch.Change) throws -> Void) throws { try base.forEachChange(body) }
        func forEachProfile(_ body: (String, [StoredValue]) throws -> Void) throws { try base.forEachProfile(body) }
    }
}
