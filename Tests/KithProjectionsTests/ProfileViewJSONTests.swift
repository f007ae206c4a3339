import Foundation
import KithCore
import KithGenerator
import Testing

@testable import KithProjections

/// `ProfileView.jsonBytes()` (the API's hot path) against `JSONEncoder`, the oracle.
@Suite("Profile view JSON")
struct ProfileViewJSONTests {
    static let strings = [
        "", "a", "李伟", "say \"hi\"", "back\\slash", "tab\there", "nul\u{0}", "line\nend", "sku10", "sku2", "Z", "é",
        "/path",
    ]

    static func randomView(_ rng: inout SplitMix64) -> ProfileView {
        func s() -> String { rng.pick(strings) + (rng.int(0..<3) == 0 ? String(rng.int(0..<100)) : "") }
        func maybe<T>(_ value: @autoclosure () -> T) -> T? { rng.int(0..<3) == 0 ? nil : value() }
        func counts() -> [String: Int] {
            Dictionary((0..<rng.int(0..<4)).map { _ in (s(), rng.int(-5..<1_000)) }) { a, _ in a }
        }
        func texts() -> [String: String] { Dictionary((0..<rng.int(0..<3)).map { _ in (s(), s()) }) { a, _ in a } }
        var identifiers: [String: [ProfileView.IdentifierValue]] = [:]
        for _ in 0..<rng.int(0..<4) {
            identifiers[s()] = (0..<rng.int(1..<3)).map { _ in
                ProfileView.IdentifierValue(
                    value: s(), firstSeen: maybe(s()), lastSeen: maybe(s()),
                    sources: (0..<rng.int(0..<3)).map { _ in s() },
                    events: rng.int(0..<50))
            }
        }
        var traits: [String: ProfileView.Trait] = [:]
        for _ in 0..<rng.int(0..<4) {
            traits[s()] = ProfileView.Trait(value: s(), source: s(), at: s(), rule: s(), alternatives: maybe(counts()))
        }
        let stats = ProfileView.Stats(
            events: rng.int(0..<100), firstSeen: maybe(s()), lastSeen: maybe(s()),
            channels: (0..<rng.int(0..<3)).map { _ in s() },
            byType: counts(), byName: counts(), bySource: counts(), orders: rng.int(0..<9), refunds: rng.int(0..<3),
            netSpend: texts(), averageOrderValue: texts(), lastOrder: maybe(s()), latestNPS: maybe(rng.int(0..<11)),
            averageNPS: maybe(s()), latestRating: maybe(rng.int(1..<6)), averageRating: maybe(s()),
            complaints: rng.int(0..<4))
        var rfm: ProfileView.RFM?
        if rng.int(0..<2) == 0 {
            let model = RFMModel.fit(
                [RFMRaw(orders: 2, lastOrder: 1_780_000_000, monetary: 1_000)], rules: Rules.standard.rfm,
                lifecycle: Rules.standard.lifecycle, asOf: 1_782_777_600)
            rfm = ProfileView.RFM(
                RFMRaw(orders: rng.int(0..<4), lastOrder: maybe(1_780_000_000), monetary: Int64(rng.int(0..<100_000))),
                model: model)
        }
        return ProfileView(
            profileID: s(), status: s(), requested: maybe(s()), note: maybe(s()), identifiers: identifiers,
            traits: traits,
            stats: stats, rfm: rfm)
    }

    @Test(
        "On 2,000 random views (quotes, control characters, CJK, absent members) the bytes mean what JSONEncoder writes"
    )
    func matchesTheEncoder() throws {
        var rng = SplitMix64(seed: 21)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        for _ in 0..<2_000 {
            let view = Self.randomView(&rng)
            let fast = Data(view.jsonBytes())
            let oracle = try encoder.encode(view)
            let a = try JSONSerialization.jsonObject(with: fast) as? NSDictionary
            let b = try JSONSerialization.jsonObject(with: oracle) as? NSDictionary
            #expect(
                a != nil && a == b,
                "\(String(decoding: fast, as: UTF8.self))\n\(String(decoding: oracle, as: UTF8.self))")
            // Same members in the same order wherever the encoder's order is byte order.
            let decoded = try JSONDecoder().decode(ProfileView.self, from: fast)
            #expect(try encoder.encode(decoded) == oracle)
        }
    }

    @Test("Dictionary keys come out in byte order, so equal views give equal bytes")
    func keysSorted() throws {
        var rng = SplitMix64(seed: 22)
        var view = Self.randomView(&rng)
        view.stats.byName = ["sku2": 1, "sku10": 2, "Z": 3, "é": 4, "a": 5]
        view.traits = [:]
        view.identifiers = [:]
        let text = String(decoding: view.jsonBytes(), as: UTF8.self)
        let byName = try #require(text.range(of: #""by_name":{"#))
        #expect(text[byName.upperBound...].hasPrefix(#""Z":3,"a":5,"sku10":2,"sku2":1,"é":4}"#), "\(text)")
        // The same members inserted in another order (another dictionary layout) give the same bytes.
        var other = view
        other.stats.byName = [:]
        for (key, value) in view.stats.byName.sorted(by: { $0.key > $1.key }) { other.stats.byName[key] = value }
        other.stats.byName.reserveCapacity(64)
        #expect(other.jsonBytes() == view.jsonBytes())
    }
}
