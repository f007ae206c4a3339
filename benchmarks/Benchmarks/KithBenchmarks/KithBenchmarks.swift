import Benchmark
import Foundation
import KithCore
import KithLog

/// Canonical-ish event lines like the generator's, varied so the parser cannot cache.
func sampleLines(_ count: Int) -> [[UInt8]] {
    (0..<count).map { i in
        Array(
            #"{"event_id":"a\#(i)","source":"app","type":"behaviour","name":"product_view","occurred_at":"2026-03-01T10:15:\#(10 + i % 50)+08:00","identifiers":{"device_id":"dev-\#(i % 9973)","member_id":"M\#(100000 + i % 5000)","phone":"138 0013 \#(1000 + i % 9000)"},"properties":{"sku":"SKU\#(i % 800)"}}"#
                .utf8)
    }
}

let phones = (0..<1_000).map { i in ["13800138000", "138 0013 8000", "+86 138-0013-8000", "0086 13800138000", "86-139\(10_000_000 + i)"][i % 5] }

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.throughput, .wallClock, .mallocCountTotal],
        maxDuration: .seconds(2), maxIterations: 1_000,
        thresholds: [.wallClock: .init(relative: [.p90: 25])])

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
        for _ in benchmark.scaledIterations {
            var count = 0
            try EventLogReader(directory: dir).forEachLine { _, line in
                count += line.count > 0 ? 1 : 0
                return true
            }
            blackHole(count)
        }
    }
}
