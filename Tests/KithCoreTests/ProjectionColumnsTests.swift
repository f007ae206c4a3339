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

    @Test(
        "Read row by row, columns give each event's identifiers, time, source and name hash; a graph and anchored events fed rows equal ones fed events (property)"
    )
    func rowsAgreeWithEvents() throws {
        let lines = Self.lines("ProjectionColumnsTests.rowsAgreeWithEvents", count: 6_000)
        let first: UInt64 = 700
        var made = ProjectionColumns(firstPosition: first)
        for line in lines {
            line.withUnsafeBufferPointer { _ = made.append($0, declaredKinds: ProjectedEventOracleTests.atIngest) }
        }
        let bytes = made.encoded()
        let columns = try bytes.withUnsafeBytes { try ProjectionColumns(decoding: $0, firstPosition: first) }
        for declared in ProjectedEventOracleTests.atReplay {
            var events: [ProjectedEvent?] = []
            columns.forEachEvent(declaredKinds: declared) { _, e in
                events.append(e)
                return true
            }
            var reading = ProjectionColumns.Reading(columns, declaredKinds: declared)
            #expect(reading.rows == 0..<lines.count)
            // A graph fed events' identifiers, and one fed the rows' numbers as a rebuild feeds it
            // (each number looked up once); anchored events fed each way, at the same anchors.
            var byEvents = IdentityGraph()
            var byRows = IdentityGraph()
            var anchoredByEvents = AnchoredEvents()
            var anchoredByRows = AnchoredEvents()
            var nodeOf = [IdentityGraph.Node](repeating: -1, count: reading.identifierCount)
            var refs: [UInt32] = []
            var repeated = 0
            for (row, event) in events.enumerated() {
                let position = first + UInt64(row)
                #expect(reading.row(of: position) == row)
                let has = reading.identifiers(at: row, into: &refs)
                guard let event else {
                    #expect(!has && refs.isEmpty, "position \(position) holds no event under \(declared)")
                    continue
                }
                #expect(has)
                #expect(
                    refs.map { reading.identifier($0) } == event.identifiers, "position \(position) under \(declared)")
                #expect(reading.occurredAt(row) == event.occurredAt)
                #expect(reading.source(row) == event.source)
                #expect(reading.nameHash(row) == event.nameHash, "position \(position)")
                let expected = byEvents.observe(event.identifiers, at: position, name: event.nameHash)
                var occurrences: [IdentityGraph.Node] = []
                for r in refs {
                    if nodeOf[Int(r)] < 0 {
                        nodeOf[Int(r)] = byRows.node(adding: reading.identifier(r), at: position)
                    } else {
                        repeated += 1
                    }
                    occurrences.append(nodeOf[Int(r)])
                }
                let touched = byRows.observe(nodes: occurrences, at: position, name: reading.nameHash(row))
                #expect(touched == expected, "position \(position): the same nodes, in the same order")
                let anchor = expected[Int(position % UInt64(expected.count))]
                anchoredByEvents.add(event, anchoredAt: anchor)
                anchoredByRows.add(row: row, of: &reading, anchoredAt: anchor)
            }
            #expect(repeated > 100, "values recur, so the rows' numbers are reused")
            #expect(byRows.nodeCount == byEvents.nodeCount && byRows.edgeCount == byEvents.edgeCount)
            #expect((0..<byRows.nodeCount).allSatisfy { byRows.nodes[$0] == byEvents.nodes[$0] })
            #expect(byRows.sortedEdges().map { "\($0)" } == byEvents.sortedEdges().map { "\($0)" })
            var folded: [IdentityGraph.Node: (NodeStats, [UInt8])] = [:]
            anchoredByEvents.forEachValue { node, stats, timeline in folded[node] = (stats, timeline) }
            var values = 0
            anchoredByRows.forEachValue { node, stats, timeline in
                values += 1
                #expect(stats.binaryEncoded() == folded[node]?.0.binaryEncoded(), "value \(node) under \(declared)")
                #expect(timeline == folded[node]?.1, "value \(node) under \(declared)")
            }
            #expect(values == folded.count && values > 50)
        }
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
                // Row by row too, as a rebuild reads them.
                var reading = ProjectionColumns.Reading(read, declaredKinds: ProjectedEventOracleTests.atIngest)
                var anchored = AnchoredEvents()
                var refs: [UInt32] = []
                for row in reading.rows where reading.identifiers(at: row, into: &refs) {
                    _ = refs.map { reading.identifier($0) }
                    _ = (reading.nameHash(row), reading.source(row), reading.occurredAt(row))
                    anchored.add(row: row, of: &reading, anchoredAt: 0)
                }
                anchored.forEachValue { _, _, _ in }
            } catch {
                refused += 1
            }
        }
        #expect(refused > 500, "most damage is caught by the checks (\(refused) of 2,000)")
    }
}
