import Benchmark
import Foundation
import KithCore
import KithLog
import KithProjections

/// A synthetic identity world: `people` persons, each with a member id, a phone, an email and a
/// device written on several events, plus a few shop phones shared by many members.
func identityEvents(people: Int) -> [[Identifier]] {
    var events: [[Identifier]] = []
    for p in 0..<people {
        let member = Identifier(.memberID, "M\(p)")
        let phone = Identifier(.phone, "+86138\(10_000_000 + p)")
        let email = Identifier(.email, "u\(p)@x.com")
        let device = Identifier(.deviceID, "d\(p)")
        events.append([member, phone])
        events.append([phone, email])
        events.append([device, member])
        if p % 10 == 0 { events.append([member, Identifier(.phone, "+8621555501\(p % 6)")]) }
    }
    return events
}

/// Canonical-ish event lines like the generator's, varied so the parser cannot cache.
func sampleLines(_ count: Int) -> [[UInt8]] {
    (0..<count).map { i in
        Array(
            #"{"event_id":"a\#(i)","source":"app","type":"behaviour","name":"product_view","occurred_at":"2026-03-01T10:15:\#(10 + i % 50)+08:00","identifiers":{"device_id":"dev-\#(i % 9973)","member_id":"M\#(100000 + i % 5000)","phone":"138 0013 \#(1000 + i % 9000)"},"properties":{"sku":"SKU\#(i % 800)"}}"#
                .utf8)
    }
}

/// Raw RFM values spread like a retailer's: 1–12 orders, the last within 400 days, any spend.
func rfmRaws(_ count: Int) -> [RFMRaw] {
    var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    return (0..<count).map { _ in
        RFMRaw(
            orders: 1 + Int(next() % 12), lastOrder: 1_782_777_600 - Int64(next() % (400 * 86_400)),
            monetary: Int64(next() % 500_000))
    }
}

/// A log of one behaviour event per identifier set, opened for reading.
func identityLog(_ events: some Sequence<[Identifier]>, at directory: String) throws -> EventLogReader {
    let log = try EventLogWriter(directory: directory)
    var batch = EncodedLines()
    for (i, e) in events.enumerated() {
        let ids = e.map { "\"\($0.kind.rawValue)\":\"\($0.value)\"" }.joined(separator: ",")
        let line =
            #"{"event_id":"e\#(i)","source":"app","type":"behaviour","name":"app_open","occurred_at":"2026-03-01T10:15:00Z","identifiers":{\#(ids)}}"#
        batch.bytes.append(contentsOf: line.utf8)
        batch.endLine(key: EventKey(source: Array("app".utf8), eventID: Array("e\(i)".utf8)))
    }
    _ = try log.append(batch)
    return try EventLogReader(directory: directory)
}

let phones = (0..<1_000).map { i in
    ["13800138000", "138 0013 8000", "+86 138-0013-8000", "0086 13800138000", "86-139\(10_000_000 + i)"][i % 5]
}

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        // No p90 thresholds: these machines change speed by 2–3× from one moment to the next.
        // tools/bench-check.sh judges each benchmark against the reference below instead.
        maxDuration: .seconds(2), maxIterations: 1_000)

    // The yardstick for tools/bench-check.sh: no Kith code, so Kith's changes cannot move it,
    // while the machine's speed of the moment moves it like everything else. The check judges
    // each benchmark by its time relative to this one, measured in the same invocation.
    let unsorted: [UInt64] = {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<200_000).map { _ in
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            return z ^ (z >> 27)
        }
    }()
    Benchmark("Reference: sort 200000 integers (no Kith code)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(unsorted.sorted()) }
    }

    Benchmark("Normalise 1000 phone numbers") { benchmark in
        for _ in benchmark.scaledIterations {
            for p in phones { blackHole(IdentifierNormalizer.normalize(.phone, p)) }
        }
    }

    let lines = sampleLines(1_000)
    Benchmark("Parse 1000 canonical lines") { benchmark in
        let parser = EventLineParser()
        var out: [UInt8] = []
        out.reserveCapacity(300_000)
        var scratch = EventLineParser.Scratch()
        for _ in benchmark.scaledIterations {
            out.removeAll(keepingCapacity: true)
            for line in lines {
                line.withUnsafeBufferPointer { blackHole(parser.parse($0, appendingTo: &out, scratch: &scratch)) }
            }
        }
    }

    Benchmark("Append 10000 events (one durable batch call)", configuration: .init(maxIterations: 200)) { benchmark in
        let dir = NSTemporaryDirectory() + "kith-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let log = try EventLogWriter(directory: dir)
        var start = 0
        for _ in benchmark.scaledIterations {
            var batch = EncodedLines()
            for i in start..<(start + 10_000) {
                batch.bytes.append(contentsOf: lines[i % lines.count])
                batch.endLine(key: EventKey(source: Array("app".utf8), eventID: Array("e\(i)".utf8)))
            }
            start += 10_000
            benchmark.startMeasurement()
            blackHole(try log.append(batch))
            benchmark.stopMeasurement()
        }
    }

    let world = identityEvents(people: 10_000)
    Benchmark("Identity: observe and resolve 10000 people (31000 events)", configuration: .init(maxIterations: 50)) {
        benchmark in
        for _ in benchmark.scaledIterations {
            var graph = IdentityGraph()
            for (i, e) in world.enumerated() { graph.observe(e, at: UInt64(i)) }
            blackHole(IdentityResolver(rules: .standard).resolveAll(graph).components.count)
        }
    }

    // The same 20,000-event log into an empty store, in committed batches and in one pass.
    let projections: [(name: String, batchSize: Int?)] = [
        ("Project 20000 events into SQLite (durable batches)", 5_000),
        ("Rebuild 20000 events into SQLite (one pass)", nil),
    ]
    for (name, batchSize) in projections {
        Benchmark(name, configuration: .init(maxIterations: 20)) { benchmark in
            let dir = NSTemporaryDirectory() + "kith-bench-" + UUID().uuidString
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let reader = try identityLog(world.prefix(20_000), at: dir + "/log")
            for i in benchmark.scaledIterations {
                let store = try SQLiteProjectionStore(path: dir + "/p\(i).sqlite")
                benchmark.startMeasurement()
                blackHole(
                    try Projector(store: store, rules: .standard).catchUp(with: reader, batchSize: batchSize).events)
                benchmark.stopMeasurement()
            }
        }
    }

    // A replay's impact report over two stores of the same 20,000 events: the live one under the
    // standard rules, the shadow with emails no longer linking (profiles split).
    Benchmark("Replay impact: compare two stores of 20000 events", configuration: .init(maxIterations: 50)) {
        benchmark in
        let dir = NSTemporaryDirectory() + "kith-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let reader = try identityLog(world.prefix(20_000), at: dir + "/log")
        var unlinkedEmail = Rules.standard
        unlinkedEmail.identifiers["email"]?.links = false
        func store(_ name: String, _ rules: Rules) throws -> SQLiteProjectionStore {
            let store = try SQLiteProjectionStore(path: dir + "/\(name).sqlite")
            _ = try Projector(store: store, rules: rules).catchUp(with: reader)
            try RFMRefresh.run(on: store, rules: rules, asOf: 1_790_000_000, pinned: true, now: Date())
            return store
        }
        let live = try store("live", .standard)
        let shadow = try store("shadow", unlinkedEmail)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations { blackHole(try ReplayImpact(live: live, shadow: shadow).split) }
        benchmark.stopMeasurement()
    }

    let canonical = lines.map { line in
        var out: [UInt8] = []
        _ = line.withUnsafeBufferPointer { EventLineParser().parse($0, appendingTo: &out) }
        return out
    }
    Benchmark("Decode 1000 log lines for projection") { benchmark in
        var scratch = EventLineParser.Scratch()
        for _ in benchmark.scaledIterations {
            for (i, line) in canonical.enumerated() {
                line.withUnsafeBufferPointer {
                    blackHole(ProjectedEvent.decode($0, position: UInt64(i), scratch: &scratch))
                }
            }
        }
    }

    // The same 1,000 lines as projection columns (a segment's `.cols`): what a rebuild reads
    // instead of decoding, and what making them costs the pass that decodes.
    Benchmark("Make projection columns from 1000 log lines") { benchmark in
        for _ in benchmark.scaledIterations {
            var columns = ProjectionColumns(firstPosition: 0)
            for line in canonical { line.withUnsafeBufferPointer { blackHole(columns.append($0)) } }
            blackHole(columns.encoded())
        }
    }

    /// The 1,000 lines ten times over as columns, encoded and read back (a segment's `.cols`).
    func tenfoldColumns() -> ProjectionColumns {
        var made = ProjectionColumns(firstPosition: 0)
        for _ in 0..<10 {
            for line in canonical { line.withUnsafeBufferPointer { _ = made.append($0) } }
        }
        let bytes = made.encoded()
        guard let columns = try? bytes.withUnsafeBytes({ try ProjectionColumns(decoding: $0, firstPosition: 0) })
        else { fatalError("the columns just made do not read back") }
        return columns
    }

    // Reading a segment's columns file (LZ4, tables) is once per 400,000 events; what each read
    // of an event costs is this: events made from the tables, and the identifiers normalised
    // once per distinct value, which a segment repeats (the 1,000 lines ten times: each value
    // about ten times, a real segment about five).
    Benchmark("Read 10000 events from projection columns") { benchmark in
        let columns = tenfoldColumns()
        benchmark.startMeasurement()  // making the columns above is setup, not what is measured
        for _ in benchmark.scaledIterations {
            columns.forEachEvent(declaredKinds: [:]) { _, event in
                blackHole(event)
                return true
            }
        }
    }

    // What a rebuild does with each row it reads (`ProjectionColumns.Reading`): the row's
    // identifiers as the columns number them, each looked up in the graph once, the event
    // observed by node, and what its statistics need kept by reference. The same 10,000 rows.
    Benchmark("Fold 10000 rows of projection columns into a graph") { benchmark in
        let columns = tenfoldColumns()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var reading = ProjectionColumns.Reading(columns, declaredKinds: [:])
            var graph = IdentityGraph()
            var anchored = AnchoredEvents()
            var nodeOf = [IdentityGraph.Node](repeating: -1, count: reading.identifierCount)
            var refs: [UInt32] = []
            var occurrences: [IdentityGraph.Node] = []
            for row in reading.rows where reading.identifiers(at: row, into: &refs) {
                occurrences.removeAll(keepingCapacity: true)
                for r in refs {
                    if nodeOf[Int(r)] < 0 {
                        nodeOf[Int(r)] = graph.node(adding: reading.identifier(r), at: UInt64(row))
                    }
                    occurrences.append(nodeOf[Int(r)])
                }
                let nodes = graph.observe(nodes: occurrences, at: UInt64(row), name: reading.nameHash(row))
                anchored.add(row: row, of: &reading, anchoredAt: nodes[0])
            }
            blackHole((graph.nodeCount, anchored.count))
        }
    }

    // A rebuild keeps what the statistics need of each event as it reads the log, then folds
    // each value's statistics and timeline as it writes them (`AnchoredEvents`): both halves,
    // for 10,000 events anchored at 2,000 values.
    Benchmark("Keep and fold the statistics of 10000 anchored events") { benchmark in
        let columns = tenfoldColumns()
        var reading = ProjectionColumns.Reading(columns, declaredKinds: [:])
        var refs: [UInt32] = []
        let rows = reading.rows.filter { reading.identifiers(at: $0, into: &refs) }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            var anchored = AnchoredEvents()
            anchored.reserveCapacity(rows.count)
            for (i, row) in rows.enumerated() {
                anchored.add(row: row, of: &reading, anchoredAt: IdentityGraph.Node(i % 2_000))
            }
            anchored.forEachValue { node, stats, timeline in blackHole((node, stats, timeline)) }
        }
    }

    Benchmark("Read 100000 events back", configuration: .init(maxIterations: 200)) { benchmark in
        let dir = NSTemporaryDirectory() + "kith-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        do {
            let log = try EventLogWriter(directory: dir)
            var batch = EncodedLines()
            for i in 0..<100_000 {
                batch.bytes.append(contentsOf: lines[i % lines.count])
                batch.endLine(key: EventKey(source: Array("app".utf8), eventID: Array("e\(i)".utf8)))
            }
            _ = try log.append(batch)
        }
        benchmark.startMeasurement()  // writing the log above is setup, not what is measured
        for _ in benchmark.scaledIterations {
            var count = 0
            try EventLogReader(directory: dir).forEachLine { _, line in
                count += line.count > 0 ? 1 : 0
                return true
            }
            blackHole(count)
        }
    }

    // What every `kith ingest` pays before its first event: the sealed segments' key files are
    // read and checked (CRC-32C), so this grows with the log, not with what is ingested.
    Benchmark(
        "Open a 1000000-event log for writing", configuration: .init(maxDuration: .seconds(20), maxIterations: 12)
    ) { benchmark in
        let dir = NSTemporaryDirectory() + "kith-bench-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var options = EventLogWriter.Options()
        options.segmentBytes = 2 << 20
        do {
            let log = try EventLogWriter(directory: dir, options: options)
            for chunk in stride(from: 0, to: 1_000_000, by: 100_000) {
                var batch = EncodedLines()
                for i in chunk..<(chunk + 100_000) {
                    batch.bytes.append(contentsOf: lines[i % lines.count])
                    batch.endLine(key: EventKey(source: Array("app".utf8), eventID: Array("e\(i)".utf8)))
                }
                _ = try log.append(batch)
            }
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let log = try EventLogWriter(directory: dir, options: options)
            blackHole(log.nextPosition)
            try log.close()
        }
    }

    Benchmark("RFM refresh: fit and summarise 1000000 profiles", configuration: .init(maxIterations: 20)) { benchmark in
        let raws = rfmRaws(1_000_000)
        let rules = Rules.standard
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            let model = RFMModel.fit(raws, rules: rules.rfm, lifecycle: rules.lifecycle, asOf: 1_782_777_600)
            blackHole(RFMSummary(raws, model: model).segments.count)
        }
    }
}
