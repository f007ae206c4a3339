import Foundation
import KithCore
import KithGenerator
import KithLog
import Testing

@testable import KithProjections

@Suite("The evidence guard in projections")
struct EvidenceProjectionTests {
    @Test(
        "A name on a partner's later event contests a value no event of that batch carries, and splits what it joined")
    func partnerNameContestsLater() throws {
        let scratch = Scratch()
        let log = try EventLogWriter(directory: scratch.path + "/log")
        // Batch 1: two sign-ups with one generic address and two phones, no names: one profile.
        try append(
            [
                event(["phone": "13700000001", "email": "family.desk@163.com"], source: "web"),
                event(["phone": "13700000002", "email": "family.desk@163.com"], source: "web"),
            ], to: log)
        let store = try SQLiteProjectionStore(path: scratch.path + "/p.sqlite")
        let reader = { try EventLogReader(directory: scratch.path + "/log") }
        _ = try Projector(store: store, rules: .standard).catchUp(with: reader(), batchSize: 10)
        #expect(try store.resolve("phone:13700000001")?.current == store.resolve("phone:13700000002")?.current)
        // Batch 2: each phone places an order under its own name; the address is on neither.
        try append(
            [
                event(
                    ["phone": "13700000001"], type: "transaction", name: "order_completed", traits: #"{"name":"张伟"}"#,
                    properties: #"{"amount":"10.00"}"#),
                event(
                    ["phone": "13700000002"], type: "transaction", name: "order_completed", traits: #"{"name":"李娜"}"#,
                    properties: #"{"amount":"20.00"}"#),
            ], to: log)
        try log.close()
        // A new projector, as after `kith ingest`: it loads only what the batch reaches.
        _ = try Projector(store: store, rules: .standard).catchUp(with: reader(), batchSize: 10)
        let a = try store.resolve("phone:13700000001")?.current
        let b = try store.resolve("phone:13700000002")?.current
        #expect(a != nil && b != nil && a != b, "the strangers are apart again")
        let address = try #require(try store.resolve("email:family.desk@163.com"))
        #expect(address.current == nil)
        #expect(
            address.note?.contains("contested: seen with phone values of different names") == true,
            "\(address.note ?? "")")
        // And the batched store equals a one-pass rebuild of the same log.
        let rebuilt = try SQLiteProjectionStore(path: scratch.path + "/r.sqlite")
        _ = try Projector(store: rebuilt, rules: .standard).catchUp(with: reader())
        #expect(try RebuildTests.tablesWithoutHistory(store) == RebuildTests.tablesWithoutHistory(rebuilt))
        #expect(try exportLines(store) == exportLines(rebuilt))
        #expect(try changeRecords(store).contains { $0.contains("split") })
    }

    @Test("A junk address keeps its events but is never where their numbers are kept: the order counts for its buyer")
    func patternIsNeverAnAnchor() throws {
        let scratch = Scratch()
        let log = try EventLogWriter(directory: scratch.path + "/log")
        try append(
            [
                event(
                    ["phone": "13700000001", "email": "noreply@163.com"], type: "transaction", name: "order_completed",
                    properties: #"{"amount":"10.00"}"#),
                event(
                    ["phone": "13700000002", "email": "noreply@163.com"], type: "transaction", name: "order_completed",
                    properties: #"{"amount":"20.00"}"#),
            ], to: log)
        try log.close()
        let store = try SQLiteProjectionStore(path: scratch.path + "/p.sqlite")
        _ = try Projector(store: store, rules: .standard).catchUp(
            with: try EventLogReader(directory: scratch.path + "/log"))
        let lines = try exportLines(store)
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.contains("\"orders\":1") }, "\(lines)")
        let note = try store.resolve("email:noreply@163.com")?.note
        #expect(note?.contains("never_link: role_or_placeholder_address") == true)
        let stats = try store.identityStats()
        #expect(stats.neverLinkValues == 1)
    }
}
