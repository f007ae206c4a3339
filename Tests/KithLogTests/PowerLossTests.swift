import Foundation
import KithCore
import KithFaults
import KithGenerator
import Testing

@testable import KithLog

/// Power loss, simulated under the log (`PowerLossDisk`): unsynced bytes dropped, torn or kept
/// page by page at random, unsynced renames and new entries forgotten. The guarantee it proves:
/// every acknowledged append survives exactly once, the log reopens by itself, and what it holds
/// is a prefix of what was written (nothing half-visible).
@Suite struct PowerLossTests {
    /// Crash points per run: 1,000 in the normal suite, 20,000 with `KITH_FAULTS=heavy`.
    static let crashPoints = ProcessInfo.processInfo.environment["KITH_FAULTS"] == "heavy" ? 20_000 : 1_000

    static var options: EventLogWriter.Options {
        var o = EventLogWriter.Options()
        o.segmentBytes = 12 << 10
        o.batchBytes = 2_500
        return o
    }

    @Test(
        "every acknowledged append survives a power loss at any seeded crash point (1,000; 20,000 with KITH_FAULTS=heavy), exactly once"
    )
    func acknowledgedAppendsSurvivePowerLoss() throws {
        var rng = SplitMix64.forTest("PowerLossTests.acknowledgedAppendsSurvivePowerLoss")
        var seen = Coverage()
        for round in 0..<Self.crashPoints {
            let scenario = Scenario(using: &rng)
            try withTemporaryDirectory { dir in
                let counting = dir + "/counting"
                let crashing = dir + "/crashing"
                try scenario.prepare(counting)
                let counter = try PowerLossDisk(root: counting)
                let total = try scenario.run(on: counter.disk, in: counting).operations(counter)
                try scenario.prepare(crashing)
                let crashAt = Int.random(in: 1...total + 1, using: &rng)
                let disk = try PowerLossDisk(root: crashing, crashAt: crashAt)
                let acknowledged = try scenario.run(on: disk.disk, in: crashing).acknowledged
                let story = try disk.losePower(using: &rng)
                let context = "round \(round), crash at operation \(crashAt) of \(total): \(story)"

                let reopened: EventLogWriter
                do { reopened = try EventLogWriter(directory: crashing + "/log", options: Self.options) } catch {
                    Issue.record("the log did not reopen after a power loss (\(context)): \(error)")
                    return
                }
                if !reopened.recovery.cuts.isEmpty { seen.cuts += 1 }
                if reopened.recovery.cuts.contains(where: { $0.reason.contains("never synced") }) {
                    seen.wholeBatchesCut += 1
                }
                if disk.crashed { seen.crashes += 1 }
                let survived = try readAll(crashing + "/log").map(\.1)
                let expected = scenario.expectedLog
                #expect(survived.count >= acknowledged, "acknowledged events lost (\(context))")
                #expect(
                    Array(expected.prefix(survived.count)) == survived,
                    "the log is not a prefix of what was written (\(context))")
                if survived.count > acknowledged { seen.unacknowledgedKept += 1 }

                // Appending everything again converges on the whole log, each event once.
                for append in scenario.appends { _ = try reopened.append(scenario.encoded(append)) }
                try reopened.close()
                #expect(
                    try readAll(crashing + "/log").map(\.1) == expected, "re-appending did not converge (\(context))")
            }
        }
        // The faults the property is about did happen.
        print("PowerLossTests coverage: \(seen)")
        #expect(seen.crashes > Self.crashPoints / 2)
        #expect(seen.cuts > 0, "no power loss left a torn tail to cut")
        #expect(seen.unacknowledgedKept > 0, "no unacknowledged write ever reached the disk")
        #expect(seen.wholeBatchesCut > 0, "no power loss left whole unsynced batches after a torn one")
    }

    struct Coverage {
        var crashes = 0
        var cuts = 0
        var unacknowledgedKept = 0
        var wholeBatchesCut = 0
    }
}

/// A random plan of appends, some repeating earlier events, over an optional existing log.
struct Scenario {
    /// Lines already in the log (synced by an earlier writer) before the power-loss run starts.
    var existing: [Int]
    var appends: [[Int]]
    var texts: [String]

    init(using rng: inout SplitMix64) {
        let events = Int.random(in: 30...300, using: &rng)
        texts = (0..<events).map { i in
            let noise = (0..<Int.random(in: 4...40, using: &rng)).map { _ in String(rng.next() % 1_000_000, radix: 36) }
            return
                #"{"event_id":"e\#(i)","source":"app","type":"behaviour","name":"app_open","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"device_id":"\#(noise.joined())"}}"#
        }
        existing = Bool.random(using: &rng) ? Array(0..<Int.random(in: 1...events / 2, using: &rng)) : []
        var next = existing.count
        appends = []
        for _ in 0..<Int.random(in: 2...6, using: &rng) {
            var append: [Int] = []
            // Now and then a large append: many unsynced pages, where a power loss can keep whole
            // batches after a torn one.
            let size =
                Int.random(in: 0..<3, using: &rng) == 0
                ? Int.random(in: 40...120, using: &rng) : Int.random(in: 1...25, using: &rng)
            for _ in 0..<size {
                if next > 0, Int.random(in: 0..<5, using: &rng) == 0 {
                    append.append(Int.random(in: 0..<next, using: &rng))  // a duplicate
                } else if next < events {
                    append.append(next)
                    next += 1
                }
            }
            appends.append(append)
        }
    }

    func encoded(_ events: [Int]) -> EncodedLines {
        var l = EncodedLines()
        for i in events {
            l.bytes.append(contentsOf: texts[i].utf8)
            l.endLine(key: EventKey(source: Array("app".utf8), eventID: Array("e\(i)".utf8)))
        }
        return l
    }

    /// Every event once, in the order first written.
    var expectedLog: [String] {
        var seen = Set<Int>()
        return (existing + appends.joined()).filter { seen.insert($0).inserted }.map { texts[$0] }
    }

    func prepare(_ dir: String) throws {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        guard !existing.isEmpty else { return }
        let log = try EventLogWriter(directory: dir + "/log", options: PowerLossTests.options)
        _ = try log.append(encoded(existing))
    }

    struct Run {
        /// Events (distinct, counted from the start of the log) whose append returned.
        var acknowledged: Int

        func operations(_ disk: PowerLossDisk) -> Int { disk.operations }
    }

    /// Opens the log on `disk` and appends in order until the disk fails.
    func run(on disk: Disk, in dir: String) throws -> Run {
        var seen = Set(existing)
        var acknowledged = seen.count
        do {
            let log = try EventLogWriter(directory: dir + "/log", options: PowerLossTests.options, disk: disk)
            for append in appends {
                _ = try log.append(encoded(append))
                for i in append { seen.insert(i) }
                acknowledged = seen.count
            }
        } catch is SimulatedPowerLoss {
            // The power went at the crash point; what was acknowledged before it is counted.
        }
        return Run(acknowledged: acknowledged)
    }
}

/// A full disk, through the fault layer, at every write of a plan in turn.
@Suite struct FullDiskTests {
    @Test(
        "A full disk at any write: that append fails naming the file, acknowledged appends stay, the log stays usable, and sending again converges"
    )
    func fullDiskAtEveryWrite() throws {
        var rng = SplitMix64.forTest("FullDiskTests.fullDiskAtEveryWrite")
        var failures = 0
        var points = 0
        for _ in 0..<30 {
            let scenario = Scenario(using: &rng)
            let writes = try withTemporaryDirectory { dir -> Int in
                try scenario.prepare(dir)
                let counter = FullDisk(failAt: Int.max)
                _ = try scenario.run(on: counter.disk, in: dir)
                return counter.writesSeen
            }
            points += writes
            // A scenario whose appends are all duplicates writes nothing: no write to fail
            // (seed 8997139986966336996 drew one, and the range below trapped).
            guard writes > 0 else { continue }
            for failAt in 1...writes {
                try withTemporaryDirectory { dir in
                    try scenario.prepare(dir)
                    var acknowledged = Set(scenario.existing)
                    do {  // the writer goes away before the log is reopened
                        let log: EventLogWriter
                        do {
                            log = try EventLogWriter(
                                directory: dir + "/log", options: PowerLossTests.options,
                                disk: FullDisk(failAt: failAt).disk)
                        } catch let error as LogError where error.code == .diskFull {
                            // Opening wrote a segment header and found no room: said so, nothing else.
                            failures += 1
                            log = try EventLogWriter(directory: dir + "/log", options: PowerLossTests.options)
                        }
                        for append in scenario.appends {
                            do {
                                _ = try log.append(scenario.encoded(append))
                                acknowledged.formUnion(append)
                            } catch let error as LogError {
                                // Poisoned by an earlier failure, or the full disk itself.
                                #expect(error.code == .diskFull || error.code == .poisoned, "\(error)")
                                if error.code == .diskFull {
                                    #expect(error.path?.hasPrefix(dir + "/log/") == true, "\(error)")
                                    failures += 1
                                }
                            }
                        }
                        _ = try? log.close()
                    }
                    let survived = try readAll(dir + "/log").map(\.1)
                    #expect(Set(survived).count == survived.count, "an event twice (write \(failAt) of \(writes))")
                    #expect(
                        Set(survived).isSuperset(of: acknowledged.map { scenario.texts[$0] }),
                        "acknowledged events lost (write \(failAt) of \(writes))")
                    #expect(
                        Set(survived).isSubset(of: scenario.expectedLog),
                        "bytes nobody wrote (write \(failAt) of \(writes))")
                    // Everything sent again lands once.
                    let again = try EventLogWriter(directory: dir + "/log", options: PowerLossTests.options)
                    for append in scenario.appends { _ = try again.append(scenario.encoded(append)) }
                    try again.close()
                    let final = try readAll(dir + "/log").map(\.1)
                    #expect(
                        final.count == scenario.expectedLog.count && Set(final) == Set(scenario.expectedLog),
                        "write \(failAt) of \(writes)")
                }
            }
        }
        // Every full write surfaced as exactly one disk-full error, never swallowed.
        #expect(failures == points && points > 100, "\(failures) disk-full errors for \(points) failed writes")
    }
}
