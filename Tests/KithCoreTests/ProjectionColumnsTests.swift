import Foundation
import KithGenerator
import Testing

@testable import KithCore

@Suite("Projection columns: a segment's events without JSON, as decoding its lines gives them")
struct ProjectionColumnsTests {
    /// Canonical lines (as ingest writes them), lines that are not canonical, and mutations
    /// of both, so columns hold events, positions without one, escapes and refused values.
    static func lines(_ name: String, count: Int) -> [[UInt8]] {
        var rng = SplitMix64.forTest(name)
        let seeds = ProjectedEventOracleTests.seeds
        var ingest = EventLineParser(declaredKinds: ProjectedEventOracleTests.atIngest)
        ingest.acceptsUndeclaredKinds = false
        var out: [[UInt8]] = []
        for i in 0..<count {
            let raw = ParserOracleTests.mutate(Array(rng.pick(seeds).utf8), rng: &rng)
            var canonical: [UInt8] = []
            if case .success = raw.withUnsafeBufferPointer({ ingest.parse($0, appendingTo: &canonical) }) {
                out.append(canonical)
            } else if i % 4 == 0 {
                out.append(raw)
            }
        }
        return out
    }

    static func decoded(_ lines: [[UInt8]], from first: UInt64, declaredKinds: [String: IdentifierNormalizer.Method])
        -> [ProjectedEvent?]
    {
        var scratch = EventLineParser.Scratch()
        return lines.enumerated().map { i, line in
            line.withUnsafeBufferPointer {
                ProjectedEvent.decode($0, position: first + UInt64(i), scratch: &scratch, declaredKinds: declaredKinds)
            }
        }
    }

    @Test(
        "Columns made from lines, encoded and read back, give what decoding the lines gives, under the rules of any replay (property)"
    )
    func agreeWithDecoding() throws {
        let lines = Self.lines("ProjectionColumnsTests.agreeWithDecoding", count: 6_000)
        let first: UInt64 = 1_000
        var columns = ProjectionColumns(firstPosition: first)
        var made: [ProjectedEvent?] = []
        for line in lines {
            made.append(
                line.withUnsafeBufferPointer { columns.append($0, declaredKinds: ProjectedEventOracleTests.atIngest) })
        }
        #expect(made == Self.decoded(lines, from: first, declaredKinds: ProjectedEventOracleTests.atIngest))
        #expect(columns.count == lines.count)
        let bytes = columns.encoded()
        let read = try bytes.withUnsafeBytes { try ProjectionColumns(decoding: $0, firstPosition: first) }
        #expect(read.encoded() == bytes, "decoding and encoding again gives the same bytes")
        var nilEvents = 0
        for declared in ProjectedEventOracleTests.atReplay {
            let expected = Self.decoded(lines, from: first, declaredKinds: declared)
            var got: [ProjectedEvent?] = []
            var positions: [UInt64] = []
            read.forEachEvent(declaredKinds: declared) { position, event in
                positions.append(position)
                got.append(event)
                return true
            }
            #expect(positions == Array(first..<(first + UInt64(lines.count))))
            #expect(got.count == expected.count)
            for (i, (a, b)) in zip(got, expected).enumerated() where a != b {
                Issue.record(
                    "position \(first + UInt64(i)) under \(declared): columns \(a.map { "\($0)" } ?? "nil"), lines \(b.map { "\($0)" } ?? "nil"): \(String(decoding: lines[i], as: UTF8.self))"
                )
                break
            }
            nilEvents += expected.filter { $0 == nil }.count
        }
        #expect(nilEvents > 0, "some positions hold no event")
        #expect(Set(lines.map { String(decoding: $0, as: UTF8.self) }).count > 1_000, "the lines are varied")
    }

    @Test("A window of positions and an early stop read exactly what was asked")
    func windows() throws {
        let lines = Self.lines("ProjectionColumnsTests.windows", count: 400)
        var columns = ProjectionColumns(firstPosition: 50)
        for line in lines { line.withUnsafeBufferPointer { _ = columns.append($0) } }
        let expected = Self.decoded(lines, from: 50, declaredKinds: [:])
        for (start, end) in [(0, 10), (50, 51), (60, 90), (300, 10_000), (449, 450), (450, 460), (70, 60)] {
            var positions: [UInt64] = []
            var events: [ProjectedEvent?] = []
            columns.forEachEvent(from: UInt64(start), upTo: UInt64(end), declaredKinds: [:]) { p, e in
                positions.append(p)
                events.append(e)
                return true
            }
            let lower = min(max(start, 50), 50 + lines.count)
            let upper = max(lower, min(end, 50 + lines.count))
            #expect(positions == (lower..<upper).map { UInt64($0) }, "window \(start)..<\(end)")
            #expect(events == Array(expected[(lower - 50)..<(upper - 50)]), "window \(start)..<\(end)")
        }
        var seen = 0
        let finished = columns.forEachEvent(declaredKinds: [:]) { _, _ in
            seen += 1
            return seen < 7
        }
        #expect(!finished && seen == 7)
    }

    @Test("Damaged bytes are refused or read within bounds, never crash (property)")
    func damage() {
        let lines = Self.lines("ProjectionColumnsTests.damage", count: 300)
        var columns = ProjectionColumns(firstPosition: 0)
        for line in lines { line.withUnsafeBufferPointer { _ = columns.append($0) } }
        let bytes = columns.encoded()
        var rng = SplitMix64.forTest("ProjectionColumnsTests.damage.flips")
        var refused = 0
        for round in 0..<2_000 {
            var damaged = bytes
            if round % 3 == 0 {
                damaged.removeLast(Int(rng.next() % UInt64(damaged.count)))
            } else {
                for _ in 0...(round % 4) {
                    let i = Int(rng.next() % UInt64(damaged.count))
                    damaged[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
                }
            }
            do {
                let read = try damaged.withUnsafeBytes { try ProjectionColumns(decoding: $0, firstPosition: 0) }
                read.forEachEvent(declaredKinds: ProjectedEventOracleTests.atIngest) { _, _ in true }
            } catch {
                refused += 1
            }
        }
        #expect(refused > 500, "most damage is caught by the checks (\(refused) of 2,000)")
    }
}
