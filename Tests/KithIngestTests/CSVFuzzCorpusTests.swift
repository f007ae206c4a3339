import Foundation
import KithGenerator
import KithTestSupport
import Testing

@_spi(Fuzzing) import KithIngest

/// The csv fuzz target's invariant over its corpus (tools/fuzz/corpus/csv) and seeded
/// mutations of it, in every test run.
@Suite("CSV fuzz corpus")
struct CSVFuzzCorpusTests {
    @Test(
        "CSV records: every record lands, is quarantined or skipped exactly once; lines are canonical; chunking changes nothing"
    )
    func records() throws {
        let folder = packageRoot + "/tools/fuzz/corpus/csv"
        let seeds = try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map {
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)))
        }
        #expect(seeds.count >= 5)
        var rng = SplitMix64(seed: 15)
        let interesting: [UInt8] = [0x22, 0x2C, 0x0A, 0x0D, 0x00, 0xFF, 0xE3, 0x20, 0x3A, 0x2D]
        var inputs = seeds
        for _ in 0..<2_000 {
            var bytes = rng.pick(seeds)
            for _ in 0..<rng.int(1..<5) where !bytes.isEmpty {
                let at = rng.int(0..<bytes.count)
                switch rng.int(0..<3) {
                case 0: bytes[at] = rng.pick(interesting)
                case 1: bytes.insert(rng.pick(interesting), at: at)
                default: bytes.remove(at: at)
                }
            }
            inputs.append(bytes)
        }
        for input in inputs {
            let violation = input.withUnsafeBufferPointer { CSVFuzzInvariants.violation($0) }
            #expect(violation == nil, "\(violation ?? ""): \(String(decoding: input, as: UTF8.self).debugDescription)")
        }
    }
}
