import Foundation
import GRDB
import KithCore
import KithGenerator
import KithLog
import Testing

@testable import KithProjections

@Suite("Rebuilding an empty store in one pass")
struct RebuildTests {
    /// A log where people show up under one id, later link it to others, and some share a
    /// placeholder phone: batches see merges, refusals and splits.
    static func tangledLog(at directory: String, seed: UInt64, events count: Int) throws {
        var rng = SplitMix64(seed: seed)
        let log = try EventLogWriter(directory: directory)
        var lines: [String] = []
        for i in 0..<count {
            let p = rng.int(0..<60)
            var ids: [String: String] = [:]
            if rng.int(0..<2) == 0 { ids["member_id"] = "M\(p + (rng.int(0..<8) == 0 ? 1 : 0))" }
            if rng.int(0..<2) == 0 { ids["phone"] = "1380000\(1000 + (p + rng.int(0..<2)) % 50)" }
            if rng.int(0..<3) == 0 { ids["email"] = "u\(p % 23)@x.com" }
            if rng.int(0..<10) == 0 { ids["phone"] = "13911112222" }
            if rng.int(0..<4) == 0 || ids.isEmpty { ids["wechat_openid"] = "o\(p)" }
            let day = 1 + rng.int(0..<28)
            let at = "2026-0\(1 + rng.int(0..<6))-\(day < 10 ? "0" : "")\(day)T10:00:00+08:00"
            switch rng.int(0..<5) {
            case 0:
                lines.append(
                    event(
                        ids, type: "transaction", name: "order_completed", source: "pos", at: at,
                        traits: #"{"city":"c\#(rng.int(0..<3))","name":"N\#(p % 7)"}"#,
                        properties: #"{"amount":"\#(10 + i % 90).50"}"#))
            case 1:
                lines.append(
                    event(
                        ids, type: "transaction", name: "refund", source: "tmall", at: at,
                        properties: #"{"amount":"3.00"}"#))
            case 2:
                lines.append(
                    event(
                        ids, type: "feedback", name: "nps", source: "survey", at: at,
                        properties: #"{"score":\#(i % 11)}"#))
            default:
                // Some visits carry the person's name: the evidence guard weighs it.
                lines.append(event(ids, at: at, traits: rng.int(0..<3) == 0 ? #"{"name":"N\#(p % 7)"}"# : nil))
            }
        }
        try append(lines, to: log)
    }

    /// Every table a projection writes (timelines included, with the statistics), except the
    /// history that only batch boundaries make.
    static func tablesWithoutHistory(_ store: SQLiteProjectionStore) throws -> [String] {
        try identityTables(store).filter { !$0.hasPrefix("profile_id|") }
    }

    static func expectSameProjection(
        _ a: SQLiteProjectionStore, _ b: SQLiteProjectionStore, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        #expect(try tablesWithoutHistory(a) == tablesWithoutHistory(b), sourceLocation: sourceLocation)
        #expect(try exportLines(a) == exportLines(b), sourceLocation: sourceLocation)
    }

    static func profileIDs(_ store: SQLiteProjectionStore) throws -> Set<String> {
        try store.pool.read { db in Set(try String.fetchAll(db, sql: "SELECT id || '@' || anchor FROM profile_id")) }
    }

    /// A tangled log in `scratch`, and the rules to project it under: odd seeds with the evidence
    /// guard off (then a phone seen with two member cards is left to the limit, and the logs
    /// exercise refusals), even seeds with the standard rules.
    static func tangledLog(seed: UInt64, events: Int, in scratch: Scratch) throws -> (Rules, EventLogReader) {
        var volumeOnly = Rules.standard
        volumeOnly.evidence = EvidenceRules(names: false, limits: false)
        try tangledLog(at: scratch.path + "/log", seed: seed, events: events)
        return (seed % 2 == 0 ? .standard : volumeOnly, try EventLogReader(directory: scratch.path + "/log"))
    }

    @Test("One pass gives the store that batches give, whatever the batch size (property)")
    func equalsBatches() throws {
        var sawMerges = false
        var sawRefusals = false
        var sawExclusions = false
        var sawContested = false
        for seed in 1...4 as ClosedRange<UInt64> {
            let scratch = Scratch()
            let (rules, reader) = try Self.tangledLog(seed: seed, events: 700, in: scratch)
            let onePass = try SQLiteProjectionStore(path: scratch.path + "/one.sqlite")
            let summary = try Projector(store: onePass, rules: rules).catchUp(with: reader)
            #expect(summary.batches == 1 && summary.events == 700)
            let expected = try Self.tablesWithoutHistory(onePass)
            let expectedExport = try exportLines(onePass, rules: rules)
            #expect(try changeRecords(onePass).isEmpty, "a rebuild sees everything at once: nothing merges or splits")
            for batchSize in [5, 60] {
                let batched = try SQLiteProjectionStore(path: scratch.path + "/b\(batchSize).sqlite")
                _ = try Projector(store: batched, rules: rules).catchUp(with: reader, batchSize: batchSize)
                #expect(try Self.tablesWithoutHistory(batched) == expected, "seed \(seed), batches of \(batchSize)")
                #expect(
                    try exportLines(batched, rules: rules) == expectedExport, "seed \(seed), batches of \(batchSize)")
                // Every profile of the rebuild exists in the batched store too (which also keeps
                // the ids of profiles that merged later).
                #expect(try Self.profileIDs(onePass).isSubset(of: Self.profileIDs(batched)))
                // A merge, not just any change (a split alone would not show merges work).
                if try changeRecords(batched).contains(where: { $0.split(separator: "|")[1].contains("merged") }) {
                    sawMerges = true
                }
            }
            sawRefusals = sawRefusals || expected.contains { $0.hasPrefix("refused_link|") }
            sawExclusions = sawExclusions || expected.contains { isExcluded($0, as: .shared) }
            sawContested = sawContested || expected.contains { isExcluded($0, as: .contested) }
        }
        #expect(sawMerges, "the logs should exercise merges")
        #expect(sawRefusals, "… limits")
        #expect(sawExclusions, "… and shared values")
        #expect(sawContested, "… and the evidence guard")
    }

    @Test("Identity resolved on a second thread while values are written gives the store resolved in turn (property)")
    func overlapChangesNothing() throws {
        for seed in 11...14 as ClosedRange<UInt64> {
            let scratch = Scratch()
            let (rules, reader) = try Self.tangledLog(seed: seed, events: 900, in: scratch)
            var stores: [SQLiteProjectionStore] = []
            var decisions: [Int] = []
            // In turn; alongside from the start; alongside once the statistics are written.
            let ways: [(ceiling: Int, from: Projector.OverlapStart)] = [
                (0, .start), (.max, .start), (.max, .afterStatistics),
            ]
            for (i, way) in ways.enumerated() {
                let store = try SQLiteProjectionStore(path: scratch.path + "/\(i).sqlite")
                let projector = try Projector(store: store, rules: rules)
                projector.overlapCeiling = way.ceiling
                projector.overlapsFrom = way.from
                let summary = try projector.catchUp(with: reader)
                #expect(summary.batches == 1, "seed \(seed): one pass")
                // The stages say which way identity ran, and add up to no more than the rebuild.
                let stages = try #require(summary.stages)
                #expect(stages.identityAlongside == (way.ceiling > 0), "seed \(seed)")
                let counted = [stages.read, stages.values, stages.waitedForIdentity, stages.commit]
                #expect(counted.allSatisfy { $0 >= 0 } && counted.reduce(0, +) <= summary.seconds)
                #expect(stages.identity > 0 && projector.resolvingSeconds > 0)
                #expect(stages.identityAlongside || stages.waitedForIdentity >= stages.identity)
                stores.append(store)
                decisions.append(projector.linkDecisions)
            }
            for other in stores.dropFirst() {
                try Self.expectSameProjection(stores[0], other)
                #expect(try Self.profileIDs(stores[0]) == Self.profileIDs(other), "seed \(seed)")
                #expect(try exportLines(stores[0], rules: rules) == exportLines(other, rules: rules), "seed \(seed)")
            }
            #expect(Set(decisions).count == 1 && decisions[0] > 0, "seed \(seed): the same links decided")
        }
    }

    @Test("After a one-pass rebuild, increments go on from the store as after any batch")
    func incrementsAfterRebuild() throws {
        let scratch = Scratch()
        try Self.tangledLog(at: scratch.path + "/whole", seed: 9, events: 500)
        try FileManager.default.copyItem(atPath: scratch.path + "/whole", toPath: scratch.path + "/first")
        let whole = try EventLogWriter(directory: scratch.path + "/whole")
        var rng = SplitMix64(seed: 10)
        let more = (0..<300).map { _ in
            event(["member_id": "M\(rng.int(0..<70))", "phone": "1380000\(1000 + rng.int(0..<60))"])
        }
        try append(more, to: whole)
        let rebuilt = try SQLiteProjectionStore(path: scratch.path + "/rebuilt.sqlite")
        // One projector rebuilds the first 500 events in one pass, then goes on in batches.
        let projector = try Projector(store: rebuilt, rules: .standard)
        _ = try projector.catchUp(with: try EventLogReader(directory: scratch.path + "/first"))
        #expect(projector.checkpoint == 500)
        _ = try projector.catchUp(with: try EventLogReader(directory: scratch.path + "/whole"), batchSize: 100)
        let batched = try SQLiteProjectionStore(path: scratch.path + "/batched.sqlite")
        _ = try Projector(store: batched, rules: .standard).catchUp(
            with: try EventLogReader(directory: scratch.path + "/whole"), batchSize: 100)
        try Self.expectSameProjection(rebuilt, batched)
    }

    /// Projects a tangled log into an empty store with a projector `configure` sets up, checks
    /// the store equals a default projector's, and returns what the configured one reported.
    static func projectAgainstDefault(
        seed: UInt64, events: Int, sourceLocation: SourceLocation = #_sourceLocation, configure: (Projector) -> Void
    ) throws -> (summary: Projector.Summary, reports: [ProjectionProgress]) {
        let scratch = Scratch()
        try tangledLog(at: scratch.path + "/log", seed: seed, events: events)
        let reader = try EventLogReader(directory: scratch.path + "/log")
        let configured = try SQLiteProjectionStore(path: scratch.path + "/configured.sqlite")
        let projector = try Projector(store: configured, rules: .standard)
        configure(projector)
        var reports: [ProjectionProgress] = []
        let summary = try projector.catchUp(with: reader) { reports.append($0) }
        let standard = try SQLiteProjectionStore(path: scratch.path + "/default.sqlite")
        _ = try Projector(store: standard, rules: .standard).catchUp(with: reader)
        try expectSameProjection(configured, standard, sourceLocation: sourceLocation)
        return (summary, reports)
    }

    @Test("A log longer than the one-pass limit is rebuilt in one pass up to it, then in batches")
    func longerThanOnePass() throws {
        let (summary, reports) = try Self.projectAgainstDefault(seed: 4, events: 600) { $0.onePassLimit = 250 }
        #expect(summary.events == 600 && summary.batches == 2, "one pass of 250, then one batch of 350")
        // Once the one pass has read its events, it names what it is doing instead of sitting at the end.
        #expect(
            reports == [
                .init(position: 250, end: 600), .init(position: 250, end: 600, stage: .writingValues),
                .init(position: 250, end: 600, stage: .resolvingIdentity),
                .init(position: 250, end: 600, stage: .committing),
                .init(position: 600, end: 600),
            ])
    }

    @Test(
        "The one-pass limit fits the memory a machine has: half of it, at what a rebuild was measured to take; batches when too little"
    )
    func limitFitsTheMachine() throws {
        let perEvent = Projector.rebuildBytesPerEvent
        let fixed = Projector.rebuildFixedBytes
        // 24 GiB, this machine's size, holds 5,000,000 people's 53.6M events in one pass.
        #expect(Projector.onePassLimit(availableMemory: 24 << 30) == ((12 << 30) - fixed) / perEvent)
        #expect(Projector.onePassLimit(availableMemory: 24 << 30) > 53_610_496)
        #expect(Projector.onePassLimit(availableMemory: 4_000_000_000) == (2_000_000_000 - fixed) / perEvent)
        #expect(Projector.onePassLimit(availableMemory: 300_000_000) == 0)
        #expect(Projector.onePassLimit(availableMemory: 0) == 0 && Projector.onePassLimit(availableMemory: -1) == 0)
        var rng = SplitMix64(seed: 9)
        var previous = (bytes: 0, limit: 0)
        for bytes in (0..<200).map({ _ in rng.int(0..<(64 << 30)) }).sorted() {
            let limit = Projector.onePassLimit(availableMemory: bytes)
            #expect(limit >= previous.limit, "more memory never lowers the limit (\(previous.bytes) → \(bytes))")
            #expect(limit == 0 || (Int64(limit) * Int64(perEvent) + Int64(fixed)) * 2 <= Int64(bytes))
            #expect(limit == 0 || limit >= 500_000)
            previous = (bytes, limit)
        }
        // With no room for a one-pass rebuild, an empty store is projected in batches from the start.
        let (summary, reports) = try Self.projectAgainstDefault(seed: 5, events: 300) { $0.onePassLimit = 0 }
        #expect(summary.events == 300 && reports.allSatisfy { $0.stage == nil })
    }

    @Test("A rebuilt store has the indexes the migrations create, and refuses a second rebuild")
    func indexesRestored() throws {
        let scratch = Scratch()
        try Self.tangledLog(at: scratch.path + "/log", seed: 3, events: 200)
        let migrated = try SQLiteProjectionStore(path: scratch.path + "/migrated.sqlite")
        let rebuilt = try SQLiteProjectionStore(path: scratch.path + "/rebuilt.sqlite")
        _ = try Projector(store: rebuilt, rules: .standard).catchUp(
            with: try EventLogReader(directory: scratch.path + "/log"))
        func schema(_ store: SQLiteProjectionStore) throws -> [String] {
            try store.pool.read { db in
                try String.fetchAll(
                    db, sql: "SELECT type || ' ' || name || ' ' || IFNULL(sql, '') FROM sqlite_master ORDER BY name")
            }
        }
        #expect(try schema(rebuilt) == schema(migrated))
        #expect(try schema(rebuilt).contains { $0.hasPrefix("index membership_profile") })
        #expect(throws: ProjectionError.self) {
            try rebuilt.commitRebuild(rulesHash: "x") { _ in ProjectionBatch() }
        }
    }
}
