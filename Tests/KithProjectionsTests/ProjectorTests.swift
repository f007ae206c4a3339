import Foundation
import KithCore
import KithGenerator
import KithLog
import Testing

@testable import KithProjections

@Suite("Projector")
struct ProjectorTests {
    @Test("Variants of one person across channels become one profile whose view adds up exactly")
    func unifiedView() throws {
        let scratch = Scratch()
        let log = try EventLogWriter(directory: scratch.path + "/log")
        try append(
            [
                event(
                    ["phone": "138 0013 8000", "member_id": "M-1"], type: "transaction", name: "order_completed",
                    source: "pos", at: "2026-03-01T10:00:00+08:00", traits: #"{"name":"李伟","city":"上海"}"#,
                    properties: #"{"amount":"158.00"}"#),
                event(
                    ["phone": "+86 138-0013-8000", "email": "Li@X.com"], type: "transaction", name: "order_completed",
                    source: "tmall", at: "2026-03-05T10:00:00+08:00", traits: #"{"city":"北京","name":""}"#,
                    properties: #"{"amount":41.5}"#),
                event(
                    ["member_id": "M-1"], type: "transaction", name: "refund", source: "pos",
                    at: "2026-03-06T09:00:00+08:00", properties: #"{"amount":"8.00"}"#),
                event(
                    ["email": "li@x.com"], type: "feedback", name: "nps", source: "survey", properties: #"{"score":9}"#),
                event(
                    ["email": "li@x.com"], type: "feedback", name: "nps", source: "survey",
                    at: "2026-04-01T10:00:00+08:00", properties: #"{"score":6}"#),
            ], to: log)
        let store = try SQLiteProjectionStore(path: scratch.path + "/p.sqlite")
        let summary = try Projector(store: store, rules: .standard).catchUp(
            with: try EventLogReader(directory: scratch.path + "/log"))
        #expect(summary.events == 5)
        let view = try #require(try store.profile("phone:13800138000", traitRules: Rules.standard.traits))
        #expect(view.identifiers["email"]?.map(\.value) == ["li@x.com"])
        #expect(view.identifiers["phone"]?.first?.sources == ["pos", "tmall"])
        #expect(view.stats.orders == 2)
        #expect(view.stats.refunds == 1)
        #expect(view.stats.netSpend == ["CNY": "191.50"])
        #expect(view.stats.averageOrderValue == ["CNY": "99.75"])
        #expect(view.stats.latestNPS == 6)
        #expect(view.stats.averageNPS == "7.50")
        #expect(view.traits["city"]?.value == "北京")  // most recent wins
        #expect(view.traits["city"]?.source == "tmall")
        #expect(view.traits["name"]?.value == "李伟")  // an empty value never overwrites
        #expect(view.stats.channels == ["pos", "survey", "tmall"])
        let reader = try EventLogReader(directory: scratch.path + "/log")
        let timeline = try store.timeline(view.profileID, limit: 2, in: reader)
        #expect(timeline.map(\.name) == ["nps", "refund"])
        #expect(timeline.map(\.source) == ["survey", "pos"])
        #expect(timeline.map(\.occurredAt) == ["2026-04-01T10:00:00+08:00", "2026-03-06T09:00:00+08:00"])
        let page2 = try store.timeline(view.profileID, limit: 10, before: timeline.last?.cursor, in: reader)
        // Same time: the later position first.
        #expect(page2.map(\.name) == ["order_completed", "nps", "order_completed"])
        #expect(Set(timeline.map(\.position) + page2.map(\.position)) == Set(0..<5))
        #expect(
            try store.timeline(view.profileID, limit: 10, type: "feedback", in: reader).map(\.type) == [
                "feedback", "feedback",
            ])
        #expect(try store.timeline(view.profileID, limit: 10, type: "no_such_type", in: reader).isEmpty)
    }

    @Test("After a merge the younger id is an alias that still resolves to the surviving profile")
    func aliasAfterMerge() throws {
        let scratch = Scratch()
        let log = try EventLogWriter(directory: scratch.path + "/log")
        let store = try SQLiteProjectionStore(path: scratch.path + "/p.sqlite")
        let projector = try Projector(store: store, rules: .standard)
        try append([event(["member_id": "M-7"]), event(["phone": "13900000007"])], to: log)
        _ = try projector.catchUp(with: try EventLogReader(directory: scratch.path + "/log"))
        let older = try #require(try store.resolve("member_id:M-7")?.current)
        let younger = try #require(try store.resolve("phone:13900000007")?.current)
        #expect(older != younger)
        try append([event(["member_id": "M-7", "phone": "139 0000 0007"])], to: log)
        let summary = try projector.catchUp(with: try EventLogReader(directory: scratch.path + "/log"))
        #expect(summary.merges == 1)
        let alias = try #require(try store.resolve(younger))
        #expect(alias.current == older)
        #expect(alias.status == "merged")
        #expect(try store.profile(younger, traitRules: .init())?.profileID == older)
    }

    @Test("When a value turns out to be shared, the profile it joined splits and old ids say so")
    func splitWhenShared() throws {
        let scratch = Scratch()
        let log = try EventLogWriter(directory: scratch.path + "/log")
        let store = try SQLiteProjectionStore(path: scratch.path + "/p.sqlite")
        var rules = Rules.standard
        rules.sharedValueThreshold = 3
        rules.identifiers["member_id"]?.limit = 5  // let the shop email join members first
        let projector = try Projector(store: store, rules: rules)
        try append(
            [
                event(["member_id": "M1", "email": "shop@store.com"]),
                event(["member_id": "M2", "email": "shop@store.com"]),
            ], to: log)
        _ = try projector.catchUp(with: try EventLogReader(directory: scratch.path + "/log"))
        let joined = try #require(try store.resolve("member_id:M2")?.current)
        #expect(try store.resolve("member_id:M1")?.current == joined)
        try append((3...6).map { event(["member_id": "M\($0)", "email": "shop@store.com"]) }, to: log)
        let summary = try projector.catchUp(with: try EventLogReader(directory: scratch.path + "/log"))
        #expect(summary.splits >= 1)
        #expect(try store.resolve("member_id:M1")?.current != store.resolve("member_id:M2")?.current)
        let old = try #require(try store.resolve(joined))
        #expect(old.status == "split")
        #expect(old.note?.contains("split at log position") == true)
        #expect(try store.resolve("email:shop@store.com")?.status == "unlinked")
        #expect(try store.identityStats().sharedValues == 1)
    }

    @Test(
        "Killed between batches and resumed, the store equals an uninterrupted projection; so does projecting in increments"
    )
    func resumeEqualsUninterrupted() async throws {
        let scratch = Scratch()
        let (_, data) = try await ingestGenerated(persons: 400, seed: 3, in: scratch)
        let reader = try EventLogReader(directory: data.log)
        // Uninterrupted.
        let whole = try SQLiteProjectionStore(path: scratch.path + "/whole.sqlite")
        _ = try Projector(store: whole, rules: .standard).catchUp(with: reader, batchSize: 700)
        // Interrupted after 3 batches, then resumed by a new projector that reloads its state.
        let resumed = try SQLiteProjectionStore(path: scratch.path + "/resumed.sqlite")
        let first = try Projector(store: resumed, rules: .standard).catchUp(
            with: reader, batchSize: 700, maximumBatches: 3)
        #expect(first.toPosition == 2_100)
        _ = try Projector(store: resumed, rules: .standard).catchUp(with: reader, batchSize: 700)
        // One big batch.
        let oneShot = try SQLiteProjectionStore(path: scratch.path + "/one.sqlite")
        _ = try Projector(store: oneShot, rules: .standard).catchUp(with: reader, batchSize: 1_000_000)
        // A new projector for every batch: each one starts from the store alone and loads the
        // graph it needs on demand, as an increment after `kith ingest` does.
        let reopened = try SQLiteProjectionStore(path: scratch.path + "/reopened.sqlite")
        while try Projector(store: reopened, rules: .standard).checkpoint < reader.endPosition {
            _ = try Projector(store: reopened, rules: .standard).catchUp(
                with: reader, batchSize: 250, maximumBatches: 1)
        }
        let expected = try exportLines(whole)
        #expect(expected.count > 300)
        #expect(try exportLines(resumed) == expected)
        #expect(try exportLines(oneShot) == expected)
        #expect(try exportLines(reopened) == expected)
        let graph = try identityTables(whole)
        #expect(graph.contains { $0.hasPrefix("excluded|") }, "the data should exercise shared values")
        #expect(graph.contains { isExcluded($0, as: .contested) }, "… and the evidence guard")
        #expect(graph.contains { isExcluded($0, as: .neverLinks) }, "… and never-link patterns")
        #expect(try identityTables(reopened) == graph)
        #expect(try identityTables(resumed) == graph)
        // Merge and split records are stamped per batch, so only equal batches compare.
        #expect(try changeRecords(resumed) == changeRecords(whole))
        #expect(try whole.identityStats().checkpoint == reader.endPosition)
    }

    @Test("A store built under other rules refuses to continue until rebuilt")
    func rulesChange() throws {
        let scratch = Scratch()
        let log = try EventLogWriter(directory: scratch.path + "/log")
        try append([event(["member_id": "M1"])], to: log)
        let store = try SQLiteProjectionStore(path: scratch.path + "/p.sqlite")
        _ = try Projector(store: store, rules: .standard).catchUp(
            with: try EventLogReader(directory: scratch.path + "/log"))
        var other = Rules.standard
        other.sharedValueThreshold = 2
        #expect(throws: ProjectionError.self) { _ = try Projector(store: store, rules: other) }
    }
}
