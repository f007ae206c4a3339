import Foundation
import KithGenerator
import Testing

@testable import KithCore

@Suite("Small maps for value statistics")
struct SmallMapTests {
    @Test(
        "Under random counts, sets and removals a small map equals a Dictionary, kept in key order (oracle, property)")
    func behavesLikeADictionary() throws {
        var rng = SplitMix64(seed: 42)
        let keys = ["pos", "app", "tmall", "é", "e\u{301}", "Z", "order_completed", "", "李伟"]
        for _ in 0..<300 {
            var map = SmallMap<Int>()
            var oracle: [String: Int] = [:]
            for _ in 0..<rng.int(0..<40) {
                let key = rng.pick(keys)
                switch rng.int(0..<3) {
                case 0:
                    map[key, default: 0] += 1
                    oracle[key, default: 0] += 1
                case 1:
                    let v = rng.int(-5..<5)
                    map[key] = v
                    oracle[key] = v
                default:
                    map[key] = nil
                    oracle[key] = nil
                }
                #expect(map[key] == oracle[key])
            }
            #expect(map.dictionary == oracle)
            #expect(map.count == oracle.count && map.isEmpty == oracle.isEmpty)
            // Iteration is in key order (what the binary form relies on), equality ignores how
            // the map was built, and the JSON form is the Dictionary's.
            #expect(map.keys == oracle.keys.sorted())
            #expect(map == SmallMap(oracle))
            let json = try JSONEncoder().encode(map)
            #expect(try JSONDecoder().decode([String: Int].self, from: json) == oracle)
            #expect(try JSONDecoder().decode(SmallMap<Int>.self, from: json) == map)
        }
    }
}
