import Foundation
import KithCore
import KithGenerator
import Testing

extension EventLogContract {
    /// Kinds a store declared at ingest, and rules a later replay might read the log under.
    static let declaredAtIngest: [String: IdentifierNormalizer.Method] = ["loyalty_card": .text, "alt_phone": .text]
    static let replayRules: [[String: IdentifierNormalizer.Method]] = [
        declaredAtIngest, [:], ["loyalty_card": .text, "alt_phone": .phone],
    ]

    /// Canonical events of every type, with traits, amounts, scores, escapes, CJK text, a
    /// declared kind and values a replay's rules may refuse, written by the real parser.
    public static func projectableLines(_ ids: [Int]) -> EncodedLines {
        var rng = SplitMix64(seed: UInt64(ids.first ?? 0) &* 31 &+ UInt64(ids.count))
        let parser = EventLineParser(declaredKinds: declaredAtIngest)
        var out = EncodedLines()
        for i in ids {
            let person = Int.random(in: 0..<40, using: &rng)
            let ids = [
                #""member_id":"M-\#(person)""#, #""phone":"1380013\#(String(format: "%04d", person))""#,
                #""email":["p\#(person)@x.com","P\#(person)@Y.com"]"#, #""loyalty_card":" LC\u002d\#(person) ""#,
                #""alt_phone":"\#(person % 3 == 0 ? "not a phone" : "1390000\(String(format: "%04d", person))")""#,
                #""device_id":"d\#(i % 17)""#,
            ].shuffled(using: &rng).prefix(Int.random(in: 1...3, using: &rng)).joined(separator: ",")
            let kind = Int.random(in: 0..<5, using: &rng)
            let (type, name, properties) = [
                ("transaction", "order_completed", #","properties":{"amount":"\#(i % 300).50","currency":"CNY"}"#),
                ("transaction", "refund", #","properties":{"amount":\#(i % 50)}"#),
                ("feedback", "nps", #","properties":{"score":\#(i % 11)}"#),
                ("behaviour", "page_view", ""),
                ("interaction", "wecom_chat", #","properties":{"note":"\u4f60\u597d"}"#),
            ][kind]
            let traits = i % 3 == 0 ? #","traits":{"name":"李\#(person)","vip":\#(i % 2 == 0),"city":"上海"}"# : ""
            let text =
                #"{"event_id":"p\#(i)","source":"\#(["pos", "app", "tmall"][i % 3])","type":"\#(type)","name":"\#(name)","occurred_at":"2026-03-0\#(1 + i % 9)T10:\#(10 + i % 50):00+08:00","identifiers":{\#(ids)}\#(traits)\#(properties)}"#
            let bytes = Array(text.utf8)
            let parsed = bytes.withUnsafeBufferPointer { parser.parse($0, appendingTo: &out.bytes) }
            guard case .success(let line) = parsed else {
                Issue.record("a contract line does not parse: \(text)")
                continue
            }
            out.endLine(key: line.key)
        }
        return out
    }

    /// What a log answers projection with is what decoding its lines gives, for any window,
    /// under any replay's rules, read again, after reopening, and when the reader stops early.
    public static func projectedEventsAreTheDecodedLines(_ adapter: EventLogAdapter) throws {
        var rng = SplitMix64.forTest("EventLogContract.projectedEventsAreTheDecodedLines(\(adapter.name))")
        let place = try adapter.makePlace()
        do {
            let log = try place.open()
            var next = 0
            for _ in 0..<12 {
                let count = Int.random(in: 1...150, using: &rng)
                _ = try log.append(projectableLines(Array(next..<(next + count))))
                next += count
            }
            try checkProjectedEvents(log, "first read", rng: &rng)
            try checkProjectedEvents(log, "read again", rng: &rng)
            try log.close()
        }
        let log = try place.open()
        try checkProjectedEvents(log, "after reopening", rng: &rng)
        try log.close()
    }

    private static func checkProjectedEvents(_ log: any EventLog, _ what: String, rng: inout SplitMix64) throws {
        let end = log.endPosition
        var windows: [(UInt64, UInt64)] = [(0, end), (0, end + 5)]
        for _ in 0..<6 {
            let a = UInt64.random(in: 0...end, using: &rng)
            windows.append((a, UInt64.random(in: a...end, using: &rng)))
        }
        for declared in replayRules {
            for (start, upper) in windows {
                var expected: [String] = []
                try log.decodingEachLine(from: start, upTo: upper, declaredKinds: declared) { p, e in
                    expected.append("\(p) \(e.map { "\($0)" } ?? "nil")")
                    return true
                }
                var got: [String] = []
                try log.forEachProjectedEvent(from: start, upTo: upper, declaredKinds: declared) { p, e in
                    got.append("\(p) \(e.map { "\($0)" } ?? "nil")")
                    return true
                }
                #expect(got == expected, "\(what): \(start)..<\(upper) under \(declared)")
                #expect(expected.count == Int(min(upper, end) - min(start, end)))
                // The same window as columns, in runs that follow one another (a rebuild's read).
                var fromColumns: [String] = []
                var next = min(start, end)
                try log.forEachColumns(from: start, upTo: upper, declaredKinds: declared) { columns, run in
                    #expect(run.lowerBound == next, "\(what): runs follow one another")
                    #expect(columns.firstPosition <= run.lowerBound && run.upperBound <= columns.endPosition)
                    next = run.upperBound
                    columns.forEachEvent(from: run.lowerBound, upTo: run.upperBound, declaredKinds: declared) { p, e in
                        fromColumns.append("\(p) \(e.map { "\($0)" } ?? "nil")")
                        return true
                    }
                    return true
                }
                #expect(fromColumns == expected, "\(what), as columns: \(start)..<\(upper) under \(declared)")
            }
        }
        var seen = 0
        try log.forEachProjectedEvent(from: 0, upTo: end, declaredKinds: [:]) { _, _ in
            seen += 1
            return seen < 9
        }
        #expect(seen == 9, "\(what): a reader that returns false is not called again")
        var runs = 0
        try log.forEachColumns(from: 0, upTo: end, declaredKinds: [:]) { _, _ in
            runs += 1
            return false
        }
        #expect(runs == (end > 0 ? 1 : 0), "\(what): a reader of columns that returns false is not called again")
    }
}
