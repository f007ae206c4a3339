import Foundation
import KithCore
import KithGenerator
import KithLog
import KithTestSupport
import Testing

/// Torn and corrupted data: `kith log verify` says exactly where, readers refuse to serve
/// silently wrong data, and `kith log repair` recovers everything intact.
@Suite("Torn and corrupted logs")
struct LogRepairTests {
    /// A data directory with a log of several small segments, and its lines by position.
    struct Fixture {
        let scratch = Scratch()
        var data: String { scratch.path + "/data" }
        var log: String { data + "/log" }
        let lines: [String]

        init(persons: Int = 600, segmentBytes: Int = 65_536) throws {
            let exports = scratch.path + "/exports"
            let generated = try Generator(persons: persons, seed: 21).write(to: exports)
            let result = try kith(
                ["ingest", "--data", scratch.path + "/data"] + generated.files.map { exports + "/" + $0 },
                environment: ["KITH_SEGMENT_BYTES": "\(segmentBytes)"])
            guard result.status == 0 else { throw FixtureError(result.stderr) }
            lines = try kith(["log", "read", "--data", scratch.path + "/data"]).stdout.split(separator: "\n").map(
                String.init)
        }

        var segments: [String] {
            ((try? FileManager.default.contentsOfDirectory(atPath: log)) ?? []).filter { $0.hasSuffix(".seg") }.sorted()
        }

        func flipByte(in segment: String, at offset: Int) throws {
            let handle = try FileHandle(forUpdating: URL(fileURLWithPath: log + "/" + segment))
            try handle.seek(toOffset: UInt64(offset))
            let byte = try #require(try handle.read(upToCount: 1)?.first)
            try handle.seek(toOffset: UInt64(offset))
            try handle.write(contentsOf: Data([byte ^ 0x5A]))
            try handle.close()
        }

        func size(of segment: String) throws -> Int {
            (try FileManager.default.attributesOfItem(atPath: log + "/" + segment)[.size] as? Int) ?? 0
        }

        func verify() throws -> (status: Int32, report: [String: Any]) {
            let result = try kith(["log", "verify", "--data", data, "--format", "json"])
            let report = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any] ?? [:]
            return (result.status, report)
        }
    }

    struct FixtureError: Error, CustomStringConvertible {
        var description: String
        init(_ d: String) { description = d }
    }

    static func problems(_ report: [String: Any]) -> [[String: Any]] { report["problems"] as? [[String: Any]] ?? [] }

    @Test(
        "A flipped byte in a sealed segment: verify names the file, offset and positions; reads refuse; salvage keeps every other event"
    )
    func flippedByteInSealedSegment() throws {
        let f = try Fixture()
        #expect(f.segments.count >= 4, "the fixture should span several segments")
        #expect(try f.verify().status == 0)
        let victim = f.segments[1]
        try f.flipByte(in: victim, at: try f.size(of: victim) / 2)

        let (status, report) = try f.verify()
        #expect(status == 3)
        let damaged = Self.problems(report).filter { $0["kind"] as? String == "damaged" }
        #expect(damaged.count == 1)
        let problem = try #require(damaged.first)
        #expect(problem["file"] as? String == victim)
        let positions = try #require(problem["positions"] as? String).split(separator: ".").compactMap {
            Int($0.trimmingCharacters(in: CharacterSet(charactersIn: "<")))
        }
        let lost = positions[0]..<positions[1]
        #expect(lost.count == problem["events"] as? Int)
        #expect(report["intact_events"] as? Int == f.lines.count - lost.count)

        // Nothing serves the damaged bytes silently: reading and projecting fail, naming the file.
        let read = try kith(["log", "read", "--data", f.data])
        #expect(read.status != 0)
        #expect(read.stderr.contains(victim))
        let project = try kith(["project", "--data", f.data, "--rebuild"])
        #expect(project.status != 0)
        #expect(project.stderr.contains(victim))

        // Plain repair leaves acknowledged (if damaged) data alone and says so.
        let before = try Data(contentsOf: URL(fileURLWithPath: f.log + "/" + victim))
        let cautious = try kith(["log", "repair", "--data", f.data])
        #expect(cautious.status == 3)
        #expect(cautious.stdout.contains("--salvage"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: f.log + "/" + victim)) == before)

        let salvage = try kith(["log", "repair", "--data", f.data, "--salvage", "--format", "json"])
        #expect(salvage.status == 0, "\(salvage.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(salvage.stdout.utf8)) as? [String: Any]
        let salvaged = try #require(summary?["salvage"] as? [String: Any])
        #expect(salvaged["kept_events"] as? Int == f.lines.count - lost.count)
        #expect(salvaged["lost_events"] as? Int == lost.count)
        let aside = try #require(salvaged["set_aside"] as? String)
        #expect(
            try Data(contentsOf: URL(fileURLWithPath: aside + "/" + victim)) == before,
            "the damaged log is kept as found")

        #expect(try f.verify().status == 0)
        let kept = try kith(["log", "read", "--data", f.data]).stdout.split(separator: "\n").map(String.init)
        let expected = f.lines.enumerated().filter { !lost.contains($0.offset) }.map(\.element)
        #expect(kept == expected, "every intact event, in order, exactly once")
        #expect(try kith(["project", "--data", f.data]).status == 0)
    }

    @Test("A deleted keys file is reported and rebuilt; a torn tail is cut back to the last whole batch")
    func keysFileAndTornTail() throws {
        let f = try Fixture(persons: 300)
        let keys = try #require(
            (try FileManager.default.contentsOfDirectory(atPath: f.log)).filter { $0.hasSuffix(".keys") }.sorted().first
        )
        try FileManager.default.removeItem(atPath: f.log + "/" + keys)
        // Tear the last batch: drop its final 100 bytes.
        let active = try #require(f.segments.last)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: f.log + "/" + active))
        try handle.truncate(atOffset: UInt64(try f.size(of: active) - 100))
        try handle.close()

        let (status, report) = try f.verify()
        #expect(status == 3)
        let kinds = Self.problems(report).map { ($0["kind"] as? String ?? "", $0["file"] as? String ?? "") }
        #expect(kinds.contains { $0 == ("keys_file", keys) })
        #expect(kinds.contains { $0 == ("torn_tail", active) })
        let intact = try #require(report["intact_events"] as? Int)
        #expect(intact < f.lines.count && intact > f.lines.count - 2_000)

        let repair = try kith(["log", "repair", "--data", f.data])
        #expect(repair.status == 0, "\(repair.stdout)\(repair.stderr)")
        #expect(repair.stdout.contains("cut 3") || repair.stdout.contains("torn tail"))
        #expect(FileManager.default.fileExists(atPath: f.log + "/" + keys))
        #expect(try f.verify().status == 0)
        let kept = try kith(["log", "read", "--data", f.data]).stdout.split(separator: "\n").map(String.init)
        #expect(kept == Array(f.lines.prefix(intact)))
    }

    @Test("Damage followed by whole batches in the active segment is not treated as a torn tail")
    func damageInsideActiveSegment() throws {
        let f = try Fixture(persons: 600, segmentBytes: 16 << 20)
        let active = try #require(f.segments.last)
        let size = try f.size(of: active)
        #expect(f.segments.count == 1 && size > 200_000, "one active segment of several batches")
        try f.flipByte(in: active, at: size / 3)
        let ingest = try kith(["ingest", "--data", f.data, "--no-project", "/dev/null"])
        #expect(ingest.status != 0)
        #expect(ingest.stderr.contains("not a torn tail"))
        #expect(try f.size(of: active) == size, "nothing was cut")
        let salvage = try kith(["log", "repair", "--data", f.data, "--salvage"])
        #expect(salvage.status == 0)
        #expect(try f.verify().status == 0)
        #expect(try kith(["ingest", "--data", f.data, "/dev/null"]).status == 0)
    }

    @Test("A projection store ahead of its log refuses to continue; a torn SQLite WAL write is ignored")
    func projectionsAheadOfLogAndTornWAL() throws {
        let f = try Fixture(persons: 300)
        // A pinned as_of, so the exports compared below differ only if the projection does.
        #expect(try kith(["rfm", "refresh", "--data", f.data, "--as-of", "2026-06-30"]).status == 0)
        let export = try kith(["profiles", "export", "--data", f.data]).stdout
        #expect(!export.isEmpty)
        // A half-written write-ahead frame: garbage after the last committed frame.
        let wal = f.data + "/projections.sqlite-wal"
        if !FileManager.default.fileExists(atPath: wal) {
            #expect(FileManager.default.createFile(atPath: wal, contents: nil), "cannot create \(wal)")
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: wal))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data((0..<3_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }))
        try handle.close()
        let afterTear = try kith(["profiles", "export", "--data", f.data])
        #expect(afterTear.status == 0)
        #expect(afterTear.stdout == export)
        #expect(try kith(["project", "--data", f.data]).status == 0)

        // The log restored from an older copy: the store has projected events it no longer has.
        let older = f.scratch.path + "/older-log"
        let exports = f.scratch.path + "/more"
        let more = try Generator(persons: 50, seed: 77).write(to: exports)
        try FileManager.default.copyItem(atPath: f.log, toPath: older)
        #expect(try kith(["ingest", "--data", f.data] + more.files.map { exports + "/" + $0 }).status == 0)
        try FileManager.default.removeItem(atPath: f.log)
        try FileManager.default.moveItem(atPath: older, toPath: f.log)
        let project = try kith(["project", "--data", f.data])
        #expect(project.status != 0)
        #expect(project.stderr.contains("the log ends at"))
        #expect(try kith(["project", "--data", f.data, "--rebuild"]).status == 0)
        #expect(try kith(["profiles", "export", "--data", f.data]).stdout == export)
    }
}
