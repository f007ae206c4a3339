import Foundation

/// `bench.json`: the rows, how cost grows between them, and the machine they ran on.
struct BenchReport: Codable {
    var seed: UInt64
    var cores = ProcessInfo.processInfo.activeProcessorCount
    var memoryBytes = Int(ProcessInfo.processInfo.physicalMemory)
    var scales: [ScaleResult]
    var growth: [GrowthNote]
    /// Fitted b in time ∝ events^b per step.
    var exponents: [String: Double]

    enum CodingKeys: String, CodingKey {
        case seed, cores, scales, growth, exponents
        case memoryBytes = "memory_bytes"
    }

    init(seed: UInt64, scales: [ScaleResult]) {
        self.seed = seed
        self.scales = scales
        growth = GrowthNote.notes(scales)
        var exponents: [String: Double] = [:]
        for step in GrowthNote.steps { exponents[step.key] = GrowthNote.exponent(scales, step.value) }
        self.exponents = exponents
    }

    var rendered: String {
        var table = TextTable(
            header: [
                "persons", "events", "MB in", "ingest ev/s", "project ev/s", "links/s", "merges", "splits", "largest",
                "replay ev/s", "RFM s", "lookup p50/p99 ms", "peak RSS MB", "data MB", "B/event", "precision", "recall",
            ], rightAligned: Set(0..<17))
        table.rows = scales.map { r in
            [
                r.persons.grouped, r.events.grouped, String(format: "%.1f", Double(r.bytesIn) / 1e6),
                Int(r.ingestEventsPerSecond).grouped, Int(r.projectionEventsPerSecond).grouped,
                Int(r.identityLinksPerSecond).grouped, r.merges.grouped, r.splits.grouped,
                r.largestProfileValues.grouped,
                Int(r.replayEventsPerSecond).grouped, String(format: "%.2f", r.rfmRefreshSeconds),
                String(format: "%.2f / %.2f", r.lookupP50Milliseconds, r.lookupP99Milliseconds),
                String(format: "%.0f", Double(r.peakRSSBytes) / 1e6), String(format: "%.1f", Double(r.dataBytes) / 1e6),
                String(format: "%.0f", r.bytesPerEvent), String(format: "%.5f", r.precision),
                String(format: "%.5f", r.recall),
            ]
        }
        var out = [table.render(), ""]
        out += growth.map(\.sentence)
        let fitted = exponents.sorted { $0.key < $1.key }.map { String(format: "%@ ∝ events^%.2f", $0.key, $0.value) }
        if !fitted.isEmpty { out.append("fitted: " + fitted.joined(separator: ", ")) }
        return out.joined(separator: "\n")
    }
}
