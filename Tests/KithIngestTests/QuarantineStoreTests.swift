import Foundation
import KithCore
import KithFaults
import KithGenerator
import Testing

@testable import KithIngest

@Suite("The quarantine's known ids, read back in chunks")
struct QuarantineStoreTests {
    static func record(_ n: Int, rawBytes: Int) -> QuarantineRecord {
        QuarantineRecord(
            file: "orders.ndjson", line: n, format: .ndjson,
            reason: QuarantineReason(.schemaViolation, field: "occurred_at", "not a time"),
            raw: Array(#"{"event_id":"o\#(n)","note":"\#(String(repeating: "z", count: rawBytes))"}"#.utf8),
            at: "2026-11-27T10:00:00Z")
    }

    @Test(
        "Another store instance knows exactly the ids written before, whatever the records' sizes and wherever the 1 MiB chunks end (property)"
    )
    func knownIDsSurviveReopening() throws {
        var rng = SplitMix64.forTest("QuarantineStoreTests.knownIDsSurviveReopening")
        let scratch = Scratch()
        let folder = scratch.path + "/quarantine"
        // Sizes from a few bytes to past a chunk, so lines start, end and span chunk edges.
        let sizes = (0..<300).map { i in
            i % 97 == 0 ? Int.random(in: (1 << 20)...(3 << 20), using: &rng) : Int.random(in: 0..<20_000, using: &rng)
        }
        let records = sizes.enumerated().map { Self.record($0.offset, rawBytes: $0.element) }
        var written = 0
        while written < records.count {
            let batch = Array(records[written..<min(records.count, written + Int.random(in: 1...40, using: &rng))])
            // A new instance each batch: it reads back every id the earlier ones wrote.
            let store = try QuarantineStore(directory: folder)
            #expect(try store.append(batch + records[0..<written].shuffled(using: &rng).prefix(5)) == batch.count)
            written += batch.count
        }
        let store = try QuarantineStore(directory: folder)
        #expect(try store.append(records.shuffled(using: &rng)) == 0, "a known id was taken for a new one")
        let more = (300..<310).map { Self.record($0, rawBytes: 10) }
        #expect(try store.append(more + [records[7]]) == more.count, "a new id was taken for a known one")
        #expect(try store.records().map(\.id) == (records + more).map(\.id))
    }

    @Test("A line the known-id scan cannot cut by its marker is decoded whole, and its id known")
    func linesWithoutTheMarkerAreDecoded() throws {
        let scratch = Scratch()
        let folder = scratch.path + "/quarantine"
        let record = Self.record(1, rawBytes: 5)
        // Written by hand in another key order, with the id's quote escaped: the marker search
        // finds no `"id":"`, the decoder does.
        let line =
            #"{"quarantined_at":"2026-11-27T10:00:00Z","kind":"schema_violation","reason":"not a time","line":1,"format":"ndjson","file":"orders.ndjson","id" : "\#(record.id)"}"#
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Data((line + "\n").utf8).write(to: URL(fileURLWithPath: folder + "/quarantine.ndjson"))
        let store = try QuarantineStore(directory: folder)
        #expect(try store.records().map(\.id) == [record.id], "the hand-written line must decode")
        #expect(try store.append([record]) == 0)
    }
}
