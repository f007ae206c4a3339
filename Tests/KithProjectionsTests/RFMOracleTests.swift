import Foundation
import GRDB
import KithCore
import KithGenerator
import KithLog
import Testing

@testable import KithProjections

/// RFM, segments and lifecycle computed in the test from the raw event lines, with
/// `JSONDecoder`, `Decimal` and `ISO8601DateFormatter`, following the README's definitions
/// (nearest-rank quintiles, an edge value in the lower bin, mean thresholds compared exactly, the
/// classic segment table, the first lifecycle stage that applies). Nothing here calls the
/// production RFM, money or time code.
@Suite struct RFMOracleTests {
    struct Line: Decodable {
        struct Properties: Decodable {
            var amount: String?
            var currency: String?
        }
        var type: String
        var name: String
        var occurred_at: String
        var identifiers: [String: String]
        var properties: Properties?
    }

    /// What the oracle expects of one customer.
    struct Expected: Equatable, CustomStringConvertible {
        var frequency = 0
        var monetaryFen = 0
        var recencyDays: Int?
        var scores: [Int]?
        var segment: String?
        var stage = "prospect"
        var description: String {
            "F \(frequency) M \(monetaryFen) R \(recencyDays.map(String.init) ?? "-") scores \(scores ?? []) \(segment ?? "-") \(stage)"
        }
    }

    static let asOf = Date(timeIntervalSince1970: 1_780_000_000)

    @Test("RFM scores, segments and stages equal what the test derives from the raw events (property)")
    func equalsRawEventOracle() throws {
        var rng = SplitMix64.forTest("RFMOracleTests.equalsRawEventOracle")
        var segmentsSeen = Set<String>()
        var stagesSeen = Set<String>()
        for round in 0..<6 {
            let scratch = Scratch()
            let lines = Self.randomLines(customers: Int.random(in: 40...160, using: &rng), using: &rng)
            let log = try EventLogWriter(directory: scratch.path + "/log")
            try append(lines, to: log)
            try log.close()
            let store = try SQLiteProjectionStore(path: scratch.path + "/p.sqlite")
            _ = try Projector(store: store, rules: .standard).catchUp(
                with: EventLogReader(directory: scratch.path + "/log"))
            try RFMRefresh.run(
                on: store,
                rules: .standard, asOf: Int64(Self.asOf.timeIntervalSince1970), pinned: true, now: Self.asOf)

            let expected = try Self.oracle(lines)
            var got: [String: Expected] = [:]
            let members = try store.pool.read { db in
                try [String: String](
                    Row.fetchAll(
                        db,
                        sql:
                            "SELECT m.profile, n.value FROM membership m JOIN node n ON n.id = m.node WHERE n.kind = 'member_id'"
                    ).map { ($0[0] as String, $0[1] as String) }, uniquingKeysWith: { a, _ in a })
            }
            try store.forEachRFM { entry in
                guard let member = members[entry.profile] else { return true }
                var e = Expected(
                    frequency: entry.raw.orders, monetaryFen: Int(entry.raw.monetary), stage: entry.stage.rawValue)
                if let s = entry.score {
                    e.recencyDays = s.recencyDays
                    e.scores = [s.r, s.f, s.m]
                    e.segment = s.segment.rawValue
                }
                got[member] = e
                return true
            }
            for (member, want) in expected.sorted(by: { $0.key < $1.key }) {
                #expect(
                    got[member] == want,
                    "round \(round), \(member): got \(got[member].map(String.init(describing:)) ?? "nothing"), the raw events say \(want)"
                )
                if let s = want.segment { segmentsSeen.insert(s) }
                stagesSeen.insert(want.stage)
            }
        }
        #expect(segmentsSeen.count == 8, "segments exercised: \(segmentsSeen.sorted())")
        #expect(stagesSeen.count == 6, "stages exercised: \(stagesSeen.sorted())")
    }

    /// Customers with one member id each (and sometimes a phone on every event), orders in CNY
    /// and sometimes USD, refunds, and events that are not orders; times spread over 500 days,
    /// some after `asOf`.
    static func randomLines(customers: Int, using rng: inout SplitMix64) -> [String] {
        let formatter = ISO8601DateFormatter()
        var lines: [String] = []
        for c in 0..<customers {
            var ids = #""member_id":"M\#(c)""#
            if Bool.random(using: &rng) { ids += #","phone":"139\#(String(format: "%08d", c))""# }
            let habit = Int.random(in: 0..<4, using: &rng)  // how often and how recently they buy
            for e in 0..<Int.random(in: 1...9, using: &rng) {
                let daysAgo =
                    Double(Int.random(in: -3...(habit == 0 ? 40 : 500), using: &rng)) + Double(
                        Int.random(in: 0..<86_400, using: &rng)) / 86_400
                let at = formatter.string(from: asOf.addingTimeInterval(-daysAgo * 86_400))
                let yuan =
                    "\(Int.random(in: 1...(habit == 1 ? 5_000 : 400), using: &rng)).\(String(format: "%02d", Int.random(in: 0..<100, using: &rng)))"
                let kind = Int.random(in: 0..<10, using: &rng)
                let (type, name, properties): (String, String, String)
                switch kind {
                case 0..<5: (type, name, properties) = ("transaction", "order_completed", #"{"amount":"\#(yuan)"}"#)
                case 5:
                    (type, name, properties) = (
                        "transaction", "order_completed", #"{"amount":"\#(yuan)","currency":"USD"}"#
                    )
                case 6:
                    (type, name, properties) = (
                        "transaction", "refund", #"{"amount":"\#(Int.random(in: 1...50, using: &rng)).50"}"#
                    )
                default: (type, name, properties) = ("behaviour", "page_view", #"{"url":"/p"}"#)
                }
                lines.append(
                    #"{"event_id":"c\#(c)-\#(e)","source":"pos","type":"\#(type)","name":"\#(name)","occurred_at":"\#(at)","identifiers":{\#(ids)},"properties":\#(properties)}"#
                )
            }
        }
        return lines.shuffled(using: &rng)
    }

    /// The README's definitions, from the lines alone.
    static func oracle(_ lines: [String]) throws -> [String: Expected] {
        let formatter = ISO8601DateFormatter()
        var orders: [String: Int] = [:]
        var last: [String: Date] = [:]
        var monetary: [String: Decimal] = [:]
        for text in lines {
            let line = try JSONDecoder().decode(Line.self, from: Data(text.utf8))
            let member = try #require(line.identifiers["member_id"])
            orders[member, default: 0] += 0
            guard line.type == "transaction" else { continue }
            let at = try #require(formatter.date(from: line.occurred_at))
            let amount = try #require(
                Decimal(string: line.properties?.amount ?? "0", locale: Locale(identifier: "en_US_POSIX")))
            let inView = (line.properties?.currency ?? "CNY") == "CNY"
            if line.name == "order_completed" {
                orders[member, default: 0] += 1
                if last[member].map({ $0 < at }) ?? true { last[member] = at }
                if inView { monetary[member, default: 0] += amount }
            } else if line.name == "refund", inView {
                monetary[member, default: 0] -= amount
            }
        }
        var result: [String: Expected] = [:]
        for (member, count) in orders {
            let fen = NSDecimalNumber(decimal: (monetary[member] ?? 0) * 100).intValue
            var e = Expected(frequency: count, monetaryFen: fen)
            if count > 0, let l = last[member] {
                e.recencyDays = Int((max(0, asOf.timeIntervalSince(l)) / 86_400).rounded(.down))
            }
            result[member] = e
        }
        let scored = result.filter { $0.value.recencyDays != nil }
        func edges(_ values: [Int]) -> [Int] {
            let sorted = values.sorted()
            return (1...4).map { k in sorted[Int((Double(k * sorted.count) / 5).rounded(.up)) - 1] }
        }
        let r = edges(scored.compactMap { $0.value.recencyDays })
        let f = edges(scored.map { $0.value.frequency })
        let m = edges(scored.map { $0.value.monetaryFen })
        let n = scored.count
        let sumR = scored.reduce(0) { $0 + ($1.value.recencyDays ?? 0) }
        let sumF = scored.reduce(0) { $0 + $1.value.frequency }
        let sumM = scored.reduce(0) { $0 + $1.value.monetaryFen }
        func bin(_ value: Int, _ edges: [Int]) -> Int { edges.filter { value > $0 }.count }
        for (member, var e) in scored {
            guard let days = e.recencyDays else { continue }
            e.scores = [5 - bin(days, r), 1 + bin(e.frequency, f), 1 + bin(e.monetaryFen, m)]
            let recent = days * n < sumR
            let frequent = e.frequency * n > sumF
            let valuable = e.monetaryFen * n > sumM
            e.segment =
                (valuable ? "important_" : "general_")
                + (recent ? (frequent ? "value" : "development") : (frequent ? "retention" : "win_back"))
            e.stage =
                days >= 180
                ? "churned"
                : days >= 30
                    ? "at_risk" : e.frequency >= 4 && days <= 29 ? "loyal" : e.frequency >= 2 ? "repeat" : "new"
            result[member] = e
        }
        return result
    }
}
