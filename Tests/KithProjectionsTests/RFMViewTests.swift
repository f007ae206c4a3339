import Foundation
import GRDB
import KithCore
import KithDirectory
import KithGenerator
import KithIngest
import KithLog
import Testing

@testable import KithProjections

@Suite("RFM view and replay impact")
struct RFMViewTests {
    static let asOf: Int64 = 1_780_000_000  // 2026-05-28T20:26:40Z

    /// Each profile's raw values keyed by its smallest identifier (profile ids follow the
    /// order values first appeared in, which a shuffled log changes).
    static func rows(_ store: SQLiteProjectionStore) throws -> [String] {
        try store.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT COALESCE(
                             (SELECT MIN(n.kind || ':' || n.value) FROM membership m JOIN node n ON n.id = m.node
                              WHERE m.profile = r.profile),
                             'row of a profile that no longer exists: ' || r.profile) AS k,
                           r.orders, r.last_order, r.monetary
                    FROM profile_rfm r ORDER BY k
                    """
            ).map {
                "\($0[0] as String) \($0[1] as Int) \(($0[2] as Int64?).map(String.init) ?? "-") \($0[3] as Int64)"
            }
        }
    }

    @Test(
        "Raw RFM values maintained batch by batch equal a full recompute, whatever order and chunks the events arrive in"
    )
    func incrementalEqualsFull() async throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 300, seed: 21).write(to: exports)
        let source = DataDirectory(scratch.path + "/source")
        do {
            let log = try FileEventLog(directory: source.log)
            _ = await Ingestor(
                log: log, quarantine: try QuarantineStore(directory: source.quarantine), options: .init()
            )
            .ingest(files: generated.files.map { exports + "/" + $0 })
        }
        var lines: [String] = []
        try EventLogReader(directory: source.log).forEachLine { _, line in
            lines.append(String(decoding: line, as: UTF8.self))
            return true
        }
        let full = try SQLiteProjectionStore(path: scratch.path + "/full.sqlite")
        _ = try Projector(store: full, rules: .standard).catchUp(with: try EventLogReader(directory: source.log))
        let expected = try Self.rows(full)
        #expect(expected.count > 250)
        // Consistency, not an oracle (RFMOracleTests derives RFM from the raw events): the RFM
        // table agrees with the profiles' own statistics, two derivations inside the store.
        var oracle: [String] = []
        try full.forEachProfile(traitRules: .init()) { view in
            oracle.append("\(view.stats.orders) \(view.stats.netSpend["CNY"] ?? "0.00")")
        }
        let stored = try await full.pool.read { db in
            try Row.fetchAll(db, sql: "SELECT orders, monetary FROM profile_rfm ORDER BY profile").map {
                "\($0[0] as Int) \(Money(minorUnits: $0[1], currency: "CNY").decimalString)"
            }
        }
        #expect(stored == oracle)

        var rng = SplitMix64(seed: 8)
        for round in 0..<3 {
            let dir = scratch.path + "/round\(round)"
            let log = try EventLogWriter(directory: dir + "/log")
            let store = try SQLiteProjectionStore(path: dir + "/p.sqlite")
            let projector = try Projector(store: store, rules: .standard)
            let shuffled = lines.shuffled(using: &rng)
            var start = 0
            while start < shuffled.count {
                let end = min(shuffled.count, start + rng.int(1..<900))
                try append(Array(shuffled[start..<end]), to: log)
                _ = try projector.catchUp(
                    with: try EventLogReader(directory: dir + "/log"), batchSize: rng.int(50..<700))
                start = end
            }
            try log.close()
            let got = try Self.rows(store)
            #expect(
                got == expected,
                "round \(round): first difference \(zip(got, expected).first { $0 != $1 }.map { "\($0) vs \($1)" } ?? "in length")"
            )
        }
    }

    @Test("The impact report on a hand-made log: the expected splits, refused link, segment moves and stage changes")
    func transitionMatrix() throws {
        let scratch = Scratch()
        let log = try EventLogWriter(directory: scratch.path + "/log")
        func order(_ ids: [String: String], daysAgo: Int64, yuan: Int, name: String = "order_completed") -> String {
            let t = Timestamp(epochSeconds: Self.asOf - daysAgo * 86_400).description
            return event(
                ids, type: "transaction", name: name, source: "pos", at: t, properties: #"{"amount":"\#(yuan).00"}"#)
        }
        try append(
            [
                // A: one member, two phones; 2 orders, 300 yuan, 5 days ago → important value, repeat.
                order(["member_id": "M1", "phone": "13800000001"], daysAgo: 9, yuan: 100),
                order(["member_id": "M1", "phone": "13800000002"], daysAgo: 5, yuan: 200),
                // B: 1 order, 50 yuan, 100 days ago → general win-back, at risk.
                order(["member_id": "M2"], daysAgo: 100, yuan: 50),
                // C: a member (with a device) and a phone joined only by an email; 2 orders, 300 yuan,
                // 10 days ago. Its id comes from the email, which stops linking under the new rules.
                order(["member_id": "M3", "email": "cc@x.com"], daysAgo: 10, yuan: 200),
                event(["member_id": "M3", "device_id": "D3"], source: "app", at: "2026-05-01T10:00:00+08:00"),
                order(["phone": "13900000003", "email": "cc@x.com"], daysAgo: 10, yuan: 100),
            ], to: log)
        try log.close()
        var rules = Rules.standard
        rules.rfm.thresholds = .fixed(recencyDays: 30, frequency: 1, monetary: 10_000)
        var strict = rules
        strict.identifiers["email"]?.links = false
        strict.identifiers["phone"]?.limit = 1
        func build(_ name: String, _ rules: Rules) throws -> SQLiteProjectionStore {
            let store = try SQLiteProjectionStore(path: scratch.path + "/\(name).sqlite")
            _ = try Projector(store: store, rules: rules).catchUp(
                with: try EventLogReader(directory: scratch.path + "/log"))
            try RFMRefresh.run(on: store, rules: rules, asOf: Self.asOf, pinned: true, now: Date())
            return store
        }
        let live = try build("live", rules)
        let shadow = try build("shadow", strict)
        let impact = try ReplayImpact(live: live, shadow: shadow)
        #expect(impact.liveProfiles == 3)
        #expect(impact.shadowProfiles == 5)  // A, A's second phone, B, C's member, C's phone
        #expect(impact.merged == 0)
        #expect(impact.split == 2)
        #expect(impact.newlyRefused.values.reduce(0, +) == 1)
        #expect(impact.newlyRefused.keys.first?.hasPrefix("limit phone") == true)
        #expect(impact.newlyRefusedExamples.first?.detail.contains("13800000002") == false)  // masked
        let moves = Dictionary(
            uniqueKeysWithValues: impact.segmentTransitions.map { ("\($0.from)→\($0.to)", $0.count) })
        #expect(
            moves == [
                "important_value→important_value": 1, "important_value→important_development": 1,
                "general_win_back→general_win_back": 1, "absent→general_development": 1, "absent→prospect": 1,
            ])
        let stages = Dictionary(uniqueKeysWithValues: impact.stageChanges.map { ("\($0.from)→\($0.to)", $0.count) })
        #expect(
            stages == [
                "repeat→repeat": 1, "repeat→new": 1, "at_risk→at_risk": 1, "absent→new": 1, "absent→prospect": 1,
            ])
        let c = try #require(live.resolve("member_id:M3")?.current)
        #expect(impact.segmentTransitions.first { $0.to == "important_development" }?.examples == [c])
    }

    @Test("A store that projected events before the RFM view existed refuses to open and asks for a rebuild")
    func preRFMStoreAsksForRebuild() throws {
        let scratch = Scratch()
        let path = scratch.path + "/old.sqlite"
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteProjectionStore.migrator.migrate(queue, upTo: "v2: edge lookups from either end (explain)")
            try queue.write { db in
                try db.execute(sql: "INSERT INTO checkpoint (name, position, rules_hash) VALUES ('main', 10, 'x')")
            }
        }
        #expect {
            _ = try SQLiteProjectionStore(path: path)
        } throws: { "\($0)".contains("predates the RFM view") && ($0 as? ProjectionError)?.code == .needsRebuild }
        // An empty store of the same age upgrades quietly.
        let emptyPath = scratch.path + "/empty.sqlite"
        do {
            let queue = try DatabaseQueue(path: emptyPath)
            try SQLiteProjectionStore.migrator.migrate(queue, upTo: "v2: edge lookups from either end (explain)")
        }
        #expect(try SQLiteProjectionStore(path: emptyPath).rfmView() == nil)
    }
}
