import Foundation
import KithGenerator
import Testing

@testable import KithCore

@Suite("The projection's one-pass decoder against a JSONDecoder reference")
struct ProjectedEventOracleTests {
    static let seeds: [String] =
        ParserOracleTests.seeds + [
            #"{"event_id":"t1","source":"pos","type":"transaction","name":"order_completed","occurred_at":"2026-03-01T10:00:00+08:00","identifiers":{"member_id":"M-1","phone":"138 0013 8000"},"traits":{"name":"李伟","city":"上海","vip":true,"age":31},"properties":{"amount":"158.00","currency":"USD","sku":"S1"}}"#,
            #"{"event_id":"t2","source":"tmall","type":"transaction","name":"refund","occurred_at":"2026-03-05T10:00:00Z","identifiers":{"email":["Li@X.com","li@y.com"],"loyalty_card":" LC-9 "},"properties":{"amount":41.5}}"#,
            #"{"event_id":"f\u0031","source":"survey","type":"feedback","name":"nps","occurred_at":"2026-03-05T10:00:00+08:00","identifiers":{"alt_phone":"13900000001","member_id":"M\u002d2"},"properties":{"score":9}}"#,
            #"{"event_id":"f2","source":"survey","type":"feedback","name":"rating","occurred_at":"2026-03-05T10:00:00+08:00","identifiers":{"alt_phone":"not a phone"},"properties":{"score":"4"}}"#,
        ]

    /// Kinds declared at ingest, and the rules a later replay might read the log under.
    static let atIngest: [String: IdentifierNormalizer.Method] = ["loyalty_card": .text, "alt_phone": .text]
    static let atReplay: [[String: IdentifierNormalizer.Method]] = [
        [:], atIngest, ["loyalty_card": .text, "alt_phone": .phone], ["alt_phone": .email],
    ]

    @Test("Every canonical line decodes as a JSONDecoder reference reads it, under the rules of any replay (property)")
    func agreesWithTheParser() throws {
        var rng = SplitMix64.forTest("ProjectedEventOracleTests.agreesWithTheParser")
        var lines = Self.seeds.map { Array($0.utf8) }
        for _ in 0..<10_000 { lines.append(ParserOracleTests.mutate(Array(rng.pick(Self.seeds).utf8), rng: &rng)) }
        var ingest = EventLineParser(declaredKinds: Self.atIngest)
        ingest.acceptsUndeclaredKinds = false
        var canonical = 0
        var refusedUnderReplayRules = 0
        var notJudged = 0
        for line in lines {
            var out: [UInt8] = []
            guard case .success = line.withUnsafeBufferPointer({ ingest.parse($0, appendingTo: &out) }) else {
                continue
            }
            canonical += 1
            guard ReferenceDecoder.judges(out) else {
                notJudged += 1
                continue
            }
            for declared in Self.atReplay {
                var scratch = EventLineParser.Scratch()
                let lean = out.withUnsafeBufferPointer {
                    ProjectedEvent.decode($0, position: 7, scratch: &scratch, declaredKinds: declared)
                }
                let reference = ReferenceDecoder.decode(out, declaredKinds: declared)
                switch (lean, reference) {
                case (let lean?, let reference?):
                    #expect(lean.position == 7)
                    #expect(
                        ReferenceDecoder.reading(of: lean, comparedWith: reference) == reference,
                        "\(String(decoding: out, as: UTF8.self)) under \(declared)")
                case (nil, nil):
                    refusedUnderReplayRules += 1
                default:
                    Issue.record(
                        "the decoder read \(lean.map { "\($0)" } ?? "nothing"), the reference \(reference.map { "\($0)" } ?? "nothing"): \(String(decoding: out, as: UTF8.self)) under \(declared)"
                    )
                }
            }
        }
        #expect(canonical > 500, "the mutations leave enough valid lines to compare")
        #expect(notJudged * 20 < canonical, "\(notJudged) of \(canonical) lines outside what the reference judges")
        #expect(refusedUnderReplayRules > 0, "some line loses every identifier under stricter replay rules")
    }

    @Test("A line that is not canonical is refused, not misread")
    func refusesDamage() {
        var scratch = EventLineParser.Scratch()
        for text in [
            "", "{}", #"{"source":"app","event_id":"x"}"#,
            #"{"event_id":"a","source":"app","type":"bogus","name":"n","occurred_at":"2026-03-01T10:00:00Z","identifiers":{"member_id":"M"}}"#,
            #"{"event_id":"a","source":"app","type":"behaviour","name":"n","occurred_at":"yesterday","identifiers":{"member_id":"M"}}"#,
            #"{"event_id":"a","source":"app","type":"behaviour","name":"n","occurred_at":"2026-03-01T10:00:00Z"}"#,
            #"{"event_id":"a","source":"app","type":"behaviour","name":"n","occurred_at":"2026-03-01T10:00:00Z","identifiers":{"member_id":"M""#,
        ] {
            let bytes = Array(text.utf8)
            #expect(
                bytes.withUnsafeBufferPointer { ProjectedEvent.decode($0, position: 0, scratch: &scratch) } == nil,
                "\(text)")
        }
    }
}
