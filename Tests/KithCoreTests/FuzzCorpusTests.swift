import Foundation
import KithGenerator
import Testing

@_spi(Fuzzing) @testable import KithCore

/// The fuzz targets' invariants over their corpus (seeds and every crash ever found, in
/// tools/fuzz/corpus), and over seeded random mutations of it, in every test run.
@Suite("Fuzz corpus")
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("tools/fuzz/corpus").path

    static func inputs(_ target: String) throws -> [[UInt8]] {
        let folder = corpus + "/" + target
        return try FileManager.default.contentsOfDirectory(atPath: folder).sorted().map {
            [UInt8](try Data(contentsOf: URL(fileURLWithPath: folder + "/" + $0)))
        }
    }

    /// Byte flips, insertions, deletions and splices of the seeds, deterministic per seed.
    static func mutations(of seeds: [[UInt8]], count: Int, seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        let interesting: [UInt8] = [
            0x00, 0x22, 0x5C, 0x7B, 0x7D, 0x5B, 0x5D, 0x3A, 0x2C, 0xFF, 0xC3, 0xE4, 0x0A, 0x2B, 0x40,
        ]
        return (0..<count).map { _ in
            var bytes = rng.pick(seeds)
            for _ in 0..<rng.int(1..<5) {
                guard !bytes.isEmpty else { break }
                let at = rng.int(0..<bytes.count)
                switch rng.int(0..<4) {
                case 0: bytes[at] = rng.pick(interesting)
                case 1: bytes.insert(rng.pick(interesting), at: at)
                case 2: bytes.remove(at: at)
                default:
                    let other = rng.pick(seeds)
                    bytes = Array(bytes[..<at]) + Array(other[rng.int(0..<max(1, other.count))...])
                }
            }
            return bytes
        }
    }

    @Test("Event lines: the corpus and 3,000 mutations of it never crash, and accepted lines re-parse to themselves")
    func eventLines() throws {
        let seeds = try Self.inputs("event-line")
        #expect(seeds.count >= 5)
        for input in seeds + Self.mutations(of: seeds, count: 3_000, seed: 11) {
            #expect(
                input.withUnsafeBufferPointer { FuzzInvariants.eventLine($0) },
                "\(String(decoding: input, as: UTF8.self))")
        }
    }

    @Test("Identifiers: the corpus and 5,000 mutations of it normalise idempotently as phone, email and member_id")
    func identifiers() throws {
        let seeds = try Self.inputs("identifier")
        #expect(seeds.count >= 5)
        for input in seeds + Self.mutations(of: seeds, count: 5_000, seed: 12) {
            #expect(input.withUnsafeBufferPointer { FuzzInvariants.identifier($0) }, "\(input)")
        }
    }

    @Test("Request decoding: the corpus and 5,000 mutations of it are accepted only in usable form; cursors round-trip")
    func requests() throws {
        let seeds = try Self.inputs("request")
        #expect(seeds.count >= 5)
        for input in seeds + Self.mutations(of: seeds, count: 5_000, seed: 13) {
            #expect(input.withUnsafeBufferPointer { FuzzInvariants.request($0) }, "\(input)")
        }
    }

    @Test("Cursor base64url agrees with Foundation's base64 on random bytes, and refuses malformed cursors")
    func base64AgainstFoundation() {
        var rng = SplitMix64(seed: 14)
        for _ in 0..<2_000 {
            let bytes = (0..<rng.int(0..<40)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            let standard = Data(bytes).base64EncodedString()
            let url = standard.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            #expect(Base64URL.encode(bytes) == url)
            #expect(Base64URL.decode(url) == bytes)
            #expect(Base64URL.decode(standard) == bytes, "padded standard alphabet is accepted too")
        }
        // Malformed input is refused; so are non-zero trailing bits ("YR", which Foundation
        // reads as "a"): they would give one cursor two spellings.
        for bad in ["a", "ab=c", "abc==", "a===", "ab!c", "YR", "YWJ"] {
            #expect(Base64URL.decode(bad) == nil, "\(bad)")
        }
    }
}
