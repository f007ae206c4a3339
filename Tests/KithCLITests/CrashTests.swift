import Foundation
import KithCore
import KithDirectory
import KithGenerator
import KithLog
import KithTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("Crash safety")
struct CrashTests {
    /// Every record in the log, checked: positions contiguous, keys unique.
    static func verifiedCount(_ logDirectory: String) throws -> Int {
        var keys = Set<EventKey>()
        var expected: UInt64 = 0
        try EventLogReader(directory: logDirectory).forEachLine { position, line in
            #expect(position == expected)
            expected += 1
            let key = try #require(CanonicalLine.key(of: line))
            #expect(keys.insert(key).inserted, "duplicate event at position \(position)")
            return true
        }
        return keys.count
    }

    /// Issue 19: kills at known points, not after timers. `KITH_KILL_AT=fsync:N` kills the
    /// ingest just after its Nth fsync; N walks every fsync the ingest makes.
    @Test(
        "SIGKILL after each fsync of an ingest in turn: the log reopens whole, holds more the later the kill, and re-running converges"
    )
    func killAtEveryFsync() throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 400, seed: 19).write(to: exports)
        let files = generated.files.map { exports + "/" + $0 }
        var previous = 0
        var kills = 0
        for n in 1...400 {
            let data = scratch.path + "/data-\(n)"
            let run = try kith(
                ["ingest", "--data", data, "--no-project"] + files, environment: ["KITH_KILL_AT": "fsync:\(n)"])
            guard run.killed else {
                // Past the last fsync: the ingest finished, and it holds everything.
                #expect(run.status == 0, "\(run.stderr)")
                #expect(try Self.verifiedCount(data + "/log") == generated.accepted)
                break
            }
            #expect(run.status == SIGKILL)
            kills += 1
            // The log opens (recovering a torn tail if any), contiguous and without duplicates,
            // and a later kill never leaves less than an earlier one.
            let next = try Self.nextPosition(data + "/log")
            let count = try Self.verifiedCount(data + "/log")
            #expect(UInt64(count) == next, "kill at fsync \(n)")
            #expect(count >= previous, "kill at fsync \(n): \(count) events, \(previous) at the fsync before")
            #expect(count <= generated.accepted)
            previous = count
            // Re-running finishes the job, exactly.
            let finish = try kith(["ingest", "--data", data, "--no-project"] + files)
            #expect(finish.status == 0, "\(finish.stderr)")
            #expect(try Self.verifiedCount(data + "/log") == generated.accepted, "kill at fsync \(n)")
            try? FileManager.default.removeItem(atPath: data)
        }
        #expect(kills >= 3, "the ingest should make several fsyncs to kill at")
    }

    /// Where a writer opening the log (recovering it) would append next; the writer and its
    /// lock are gone on return.
    static func nextPosition(_ logDirectory: String) throws -> UInt64 {
        try EventLogWriter(directory: logDirectory).nextPosition
    }

    @Test(
        "SIGKILL mid-ingest after random delays, on top of the walks: the log reopens, nothing durable is lost, and re-running converges"
    )
    func killMidIngest() throws {
        let scratch = Scratch()
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: 2_500, seed: 9).write(to: exports)
        let data = scratch.path + "/data"
        let files = generated.files.map { exports + "/" + $0 }
        var previous = 0
        var rng = SplitMix64.forTest("CrashTests.killMidIngest")
        // Where a timer lands depends on the machine: nothing here requires it to land mid-ingest
        // (`killAtEveryFsync` walks the known points); every landing must still leave a whole log.
        for round in 0..<faultRounds(normal: 4, heavy: 60) {
            try kithKilled(["ingest", "--data", data] + files, after: UInt32(20_000 + rng.int(0..<400_000)))
            // The log opens (recovering a torn tail if any) and what was there before is still there.
            let writer = try EventLogWriter(directory: data + "/log")
            let count = try Self.verifiedCount(data + "/log")
            #expect(UInt64(count) == writer.nextPosition, "round \(round)")
            #expect(count >= previous, "round \(round): \(count) events after the kill, \(previous) before")
            previous = count
        }
        let finish = try kith(["ingest", "--data", data, "--format", "json"] + files)
        #expect(finish.status == 0)
        #expect(try Self.verifiedCount(data + "/log") == generated.accepted)
    }
}

@Suite("Projection crash safety")
struct ProjectionCrashTests {
    /// The profiles export of a data directory brought up to date, with a pinned as_of.
    static func finishedExport(_ data: String) throws -> String {
        #expect(try kith(["project", "--data", data]).status == 0)
        #expect(try kith(["rfm", "refresh", "--data", data, "--as-of", "2026-06-30"]).status == 0)
        return try kith(["profiles", "export", "--data", data]).stdout
    }

    /// A data directory holding the log of generated exports (not projected), and the
    /// reference: the export of a fresh, uninterrupted projection of a copy of that log.
    static func unprojectedLog(persons: Int, seed: UInt64, in scratch: Scratch) throws
        -> (data: String, accepted: Int, reference: String)
    {
        let exports = scratch.path + "/exports"
        let generated = try Generator(persons: persons, seed: seed).write(to: exports)
        let data = scratch.path + "/data"
        #expect(
            try kith(["ingest", "--data", data, "--no-project"] + generated.files.map { exports + "/" + $0 }).status
                == 0)
        let fresh = scratch.path + "/fresh"
        try FileManager.default.createDirectory(atPath: fresh, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: data + "/log", toPath: fresh + "/log")
        try shareInstallationSecret(from: data, to: fresh)
        let reference = try finishedExport(fresh)
        #expect(!reference.isEmpty)
        return (data, generated.accepted, reference)
    }

    /// The projection's checkpoint, as `kith identity stats` reports it.
    static func checkpoint(_ data: String) throws -> Int? {
        let stats = try kith(["identity", "stats", "--data", data, "--format", "json"]).stdout
        return (try JSONSerialization.jsonObject(with: Data(stats.utf8)) as? [String: Any])?["checkpoint"] as? Int
    }

    @Test(
        "Killed right after a one-pass rebuild commits, and after random delays: the store holds all of the log or none of it, and finishing gives a fresh projection's profiles"
    )
    func killMidRebuild() throws {
        let scratch = Scratch()
        let (data, accepted, reference) = try Self.unprojectedLog(persons: 1_200, seed: 13, in: scratch)
        var rng = SplitMix64.forTest("ProjectionCrashTests.killMidRebuild")
        // The known point first (an empty store: one pass, one transaction, one commit), then a
        // few random-time kills wherever they land.
        let runs: [[String: String]] =
            [["KITH_KILL_AT": "commit:1"]] + Array(repeating: [:], count: faultRounds(normal: 2, heavy: 20))
        for (round, environment) in runs.enumerated() {
            let copy = scratch.path + "/round-\(round)"
            try FileManager.default.copyItem(atPath: data, toPath: copy)
            if environment.isEmpty {
                try kithKilled(["project", "--data", copy], after: UInt32(100_000 + rng.int(0..<800_000)))
            } else {
                let run = try kith(["project", "--data", copy], environment: environment)
                #expect(run.killed, "the rebuild should have died right after its commit")
                #expect(try Self.checkpoint(copy) == accepted, "killed after the commit, the store holds the whole log")
            }
            let checkpoint = try Self.checkpoint(copy)
            #expect(checkpoint == 0 || checkpoint == accepted, "round \(round): checkpoint \(checkpoint ?? -1)")
            #expect(try Self.finishedExport(copy) == reference, "round \(round)")
            try FileManager.default.removeItem(atPath: copy)
        }
    }

    @Test(
        "kith project killed right after each of its commits in turn: the checkpoint is that commit's, and resuming gives a fresh projection's profiles"
    )
    func killAtEveryCommit() throws {
        let scratch = Scratch()
        let (data, accepted, reference) = try Self.unprojectedLog(persons: 600, seed: 12, in: scratch)
        let batch = 1_000
        let commits = (accepted + batch - 1) / batch
        #expect(commits >= 4, "\(accepted) events make \(commits) commits")
        for n in 1...commits {
            let copy = scratch.path + "/commit-\(n)"
            try FileManager.default.copyItem(atPath: data, toPath: copy)
            let run = try kith(
                ["project", "--data", copy, "--batch-size", "\(batch)"], environment: ["KITH_KILL_AT": "commit:\(n)"])
            #expect(run.killed, "commit \(n) of \(commits): \(run.stderr)")
            #expect(try Self.checkpoint(copy) == min(n * batch, accepted), "killed after commit \(n)")
            #expect(try Self.finishedExport(copy) == reference, "resumed after commit \(n)")
            try FileManager.default.removeItem(atPath: copy)
        }
        // Past the last commit nothing dies, and the projection is whole.
        let run = try kith(
            ["project", "--data", data, "--batch-size", "\(batch)"],
            environment: ["KITH_KILL_AT": "commit:\(commits + 1)"])
        #expect(run.status == 0 && !run.killed)
        #expect(try Self.checkpoint(data) == accepted)
    }
}
