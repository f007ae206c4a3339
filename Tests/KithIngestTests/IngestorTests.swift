import Foundation
import KithCore
import KithDirectory
import KithGenerator
import KithLog
import Testing

@testable import KithIngest

@Suite("Ingest")
struct IngestorTests {
    @Test("Generated exports land exactly as the generator's ground truth says, file by file")
    func groundTruth() async throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 600, seed: 11).write(to: exports)
        let summary = try await ingest(generated.files.map { exports + "/" + $0 }, into: scratch.data)
        let expected = try JSONDecoder().decode(
            [ExpectedFile].self, from: Data(contentsOf: URL(fileURLWithPath: exports + "/truth/expected.json")))
        for (file, truth) in zip(summary.files, expected) {
            #expect(file.error == nil)
            #expect(file.records == truth.records, "\(truth.file)")
            #expect(file.accepted == truth.accepted, "\(truth.file)")
            #expect(file.duplicates == truth.duplicates, "\(truth.file)")
            #expect(file.skipped == truth.skipped, "\(truth.file)")
            #expect(file.quarantined == truth.quarantined.values.reduce(0, +), "\(truth.file)")
        }
        var byKind: [String: Int] = [:]
        var rejected: [String: Int] = [:]
        for truth in expected {
            for (k, v) in truth.quarantined { byKind[k, default: 0] += v }
            for (k, v) in truth.rejected_identifiers { rejected[k, default: 0] += v }
        }
        #expect(summary.quarantinedByKind == byKind)
        #expect(summary.rejectedIdentifiers == rejected)
        #expect(try logLines(scratch.data).count == generated.accepted)
        let stored = try QuarantineStore(directory: scratch.data.quarantine).records()
        #expect(stored.count == generated.quarantined)

        // A second ingest of the same files adds nothing and quarantines nothing new.
        let again = try await ingest(generated.files.map { exports + "/" + $0 }, into: scratch.data)
        #expect(again.accepted == 0)
        #expect(again.duplicates == generated.accepted + generated.duplicates)
        #expect(try QuarantineStore(directory: scratch.data.quarantine).records().count == generated.quarantined)
    }

    @Test("gzip and lz4 inputs land the same events as the plain file")
    func compressedInputs() async throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        try Generator(persons: 200, seed: 5).write(to: exports)
        let plain = exports + "/app.ndjson"
        try run("cp", [plain, scratch.path + "/copy.ndjson"])
        try #require(try run("gzip", ["-k", scratch.path + "/copy.ndjson"]) == 0)
        try #require(try run("lz4", ["-q", scratch.path + "/copy.ndjson", scratch.path + "/copy.ndjson.lz4"]) == 0)
        let a = try await ingest([plain], into: DataDirectory(scratch.path + "/a"))
        let b = try await ingest([scratch.path + "/copy.ndjson.gz"], into: DataDirectory(scratch.path + "/b"))
        let c = try await ingest([scratch.path + "/copy.ndjson.lz4"], into: DataDirectory(scratch.path + "/c"))
        #expect(a.accepted > 0)
        #expect(b.accepted == a.accepted && c.accepted == a.accepted)
        #expect(b.files[0].error == nil && c.files[0].error == nil)
        let logA = try logLines(DataDirectory(scratch.path + "/a"))
        #expect(try logLines(DataDirectory(scratch.path + "/b")) == logA)
        #expect(try logLines(DataDirectory(scratch.path + "/c")) == logA)
    }

    @Test("A truncated gzip file is reported; its whole lines and the other files still land")
    func truncatedGzip() async throws {
        let scratch = Scratch()
        var text = ""
        for i in 0..<5_000 {
            text +=
                #"{"event_id":"e\#(i)","source":"app","type":"behaviour","name":"app_open","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"device_id":"d\#(i)"}}"#
                + "\n"
        }
        let file = scratch.write("events.ndjson", text)
        try #require(try run("gzip", [file]) == 0)
        let gz = try Data(contentsOf: URL(fileURLWithPath: file + ".gz"))
        try gz.prefix(gz.count / 2).write(to: URL(fileURLWithPath: file + ".gz"))
        let other = scratch.write(
            "other.ndjson",
            String(text.split(separator: "\n")[0]).replacingOccurrences(of: "\"app\"", with: "\"web\"") + "\n")
        let summary = try await ingest([file + ".gz", other], into: scratch.data)
        #expect(summary.files[0].error?.contains("truncated gzip") == true)
        #expect(summary.files[0].accepted > 1_000)
        #expect(summary.files[0].accepted < 5_000)
        #expect(summary.files[1].accepted == 1)
        #expect(summary.failedFiles == 1)
    }

    @Test("A missing file is reported and does not stop the others")
    func missingFile() async throws {
        let scratch = Scratch()
        let good = scratch.write(
            "good.ndjson",
            #"{"event_id":"1","source":"app","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"device_id":"d"}}"#
                + "\n")
        let summary = try await ingest([scratch.path + "/nope.ndjson", good], into: scratch.data)
        #expect(summary.files[0].error?.contains("cannot open") == true)
        #expect(summary.accepted == 1)
    }

    @Test("CRLF line ends, blank lines and a leading BOM are tolerated; line numbers stay right")
    func lineEnds() async throws {
        let scratch = Scratch()
        let good =
            #"{"event_id":"1","source":"app","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"device_id":"d"}}"#
        let bad =
            #"{"event_id":"2","source":"app","type":"behaviour","name":"x","occurred_at":"2026-02-30T10:15:00Z","identifiers":{"device_id":"d"}}"#
        let file = scratch.write("crlf.ndjson", "\u{FEFF}" + good + "\r\n\r\n   \r\n" + bad + "\r\n")
        let summary = try await ingest([file], into: scratch.data)
        #expect(summary.accepted == 1)
        #expect(summary.quarantined == 1)
        let record = try #require(try QuarantineStore(directory: scratch.data.quarantine).records().first)
        #expect(record.line == 4)
        #expect(record.kind == .badTimestamp)
        #expect(record.reason.contains("2026-02-30T10:15:00Z"))
        #expect(record.raw == bad)
    }

    @Test(
        "A line longer than the limit is quarantined as line_too_long with its first 4 KiB, and the lines around it land"
    )
    func longLine() async throws {
        let scratch = Scratch()
        let good =
            #"{"event_id":"1","source":"app","type":"behaviour","name":"x","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"device_id":"d"}}"#
        let huge = "{\"event_id\":\"" + String(repeating: "x", count: 17 << 20) + "\"}"
        let file = scratch.write(
            "long.ndjson", good + "\n" + huge + "\n" + good.replacingOccurrences(of: "\"1\"", with: "\"3\"") + "\n")
        let summary = try await ingest([file], into: scratch.data)
        #expect(summary.accepted == 2)
        #expect(summary.quarantinedByKind == ["line_too_long": 1])
        let record = try #require(try QuarantineStore(directory: scratch.data.quarantine).records().first)
        #expect(record.line == 2)
        #expect(record.rawBytes.count == 4096)
    }
}
