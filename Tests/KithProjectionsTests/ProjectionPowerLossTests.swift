import Foundation
import KithCore
import KithDirectory
import KithFaults
import KithGenerator
import KithLog
import Testing

@testable import KithProjections

/// Power loss (`PowerLossDisk`) under the log while a projection follows it, and under the
/// generation pointer while a replay swaps stores. SQLite's own files are SQLite's business
/// (its crash-test VFS proves them); what is proved here is that Kith's files and Kith's order
/// of operations never leave a projection that disagrees with its log.
@Suite struct ProjectionPowerLossTests {
    static let crashPoints = ProcessInfo.processInfo.environment["KITH_FAULTS"] == "heavy" ? 2_000 : 150

    @Test(
        "after a power loss, catching up gives the projection a fresh replay of the recovered log gives (150 seeded crash points; 2,000 heavy)"
    )
    func catchUpAfterPowerLossEqualsReplay() throws {
        var rng = SplitMix64.forTest("ProjectionPowerLossTests.catchUpAfterPowerLossEqualsReplay")
        var refusedAndRebuilt = 0
        var projectedUnsynced = 0
        for round in 0..<Self.crashPoints {
            let plan = ProjectedPlan(using: &rng)
            let scratch = Scratch()
            let counting = scratch.path + "/counting"
            let crashing = scratch.path + "/crashing"
            for dir in [counting, crashing] {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            }
            let counter = try PowerLossDisk(root: counting)
            _ = try plan.run(on: counter.disk, in: counting)
            let crashAt = Int.random(in: 1...counter.operations + 1, using: &rng)
            let disk = try PowerLossDisk(root: crashing, crashAt: crashAt)
            let acknowledged = try plan.run(on: disk.disk, in: crashing)
            if try EventLogReader(directory: crashing + "/log").endPosition > UInt64(acknowledged) {
                projectedUnsynced += 1
            }
            // Another process (`kith project`) follows the log and sees what the page cache holds.
            _ = try Projector(store: SQLiteProjectionStore(path: crashing + "/projections.sqlite"), rules: .standard)
                .catchUp(with: EventLogReader(directory: crashing + "/log"), batchSize: 7)
            let story = try disk.losePower(using: &rng)
            let context = "round \(round), crash at operation \(crashAt): \(story)"

            // The writer comes back, every client sends again (in another order than before, so
            // positions a reader saw may now hold other events), and the projection catches up.
            let log = try EventLogWriter(directory: crashing + "/log")
            for lines in plan.appends.reversed() { _ = try log.append(plan.encoded(lines)) }
            try log.close()
            var store = try SQLiteProjectionStore(path: crashing + "/projections.sqlite")
            do {
                _ = try Projector(store: store, rules: .standard).catchUp(
                    with: EventLogReader(directory: crashing + "/log"))
            } catch let error as ProjectionError where error.message.contains("the log lost events") {
                // Refusing is allowed; quietly diverging is not. The rebuild it asks for must agree.
                refusedAndRebuilt += 1
                for suffix in ["", "-wal", "-shm"] {
                    try? FileManager.default.removeItem(atPath: crashing + "/projections.sqlite" + suffix)
                }
                store = try SQLiteProjectionStore(path: crashing + "/projections.sqlite")
                _ = try Projector(store: store, rules: .standard).catchUp(
                    with: EventLogReader(directory: crashing + "/log"))
            }
            let fresh = try SQLiteProjectionStore(path: scratch.path + "/fresh.sqlite")
            _ = try Projector(store: fresh, rules: .standard).catchUp(
                with: EventLogReader(directory: crashing + "/log"))
            // Profile-id history (ids of profiles merged since) depends on batch boundaries only.
            let (mine, theirs) = (
                try RebuildTests.tablesWithoutHistory(store), try RebuildTests.tablesWithoutHistory(fresh)
            )
            let same = mine == theirs
            #expect(
                same,
                "identity diverged from a replay (\(context)): \(Set(mine).symmetricDifference(theirs).sorted().prefix(4))"
            )
            let profilesAgree = try exportLines(store) == exportLines(fresh)
            #expect(profilesAgree, "profiles diverged from a replay (\(context))")
        }
        #expect(projectedUnsynced > 0, "no reader ever saw unsynced events before a power loss")
        #expect(refusedAndRebuilt > 0, "no power loss ever took back events a projection had seen")
    }

    @Test("a replay's swap survives a power loss at every step: the pointer names the old store or the new one")
    func swapSurvivesPowerLoss() throws {
        var rng = SplitMix64.forTest("ProjectionPowerLossTests.swapSurvivesPowerLoss")
        var sawOld = false
        var sawNew = false
        for crashAt in 1...8 {
            for _ in 0..<10 {
                let scratch = Scratch()
                let data = DataDirectory(scratch.path)
                var profiles: [Int: Int] = [:]
                for generation in [1, 2] {
                    let store = try SQLiteProjectionStore(path: data.projections(generation: generation))
                    let log = try EventLogWriter(directory: scratch.path + "/log-\(generation)")
                    try append(
                        (0..<generation * 3).map { event(["email": "g\(generation)-\($0)@example.cn"]) }, to: log)
                    _ = try Projector(store: store, rules: .standard).catchUp(
                        with: EventLogReader(directory: scratch.path + "/log-\(generation)"))
                    profiles[generation] = Int(try store.checkpointPosition())
                }
                #expect(profiles[1] != profiles[2])
                try data.swapProjections(to: 1)
                let disk = try PowerLossDisk(root: scratch.path, crashAt: crashAt)
                var watched = data
                watched.disk = disk.disk
                do { try watched.swapProjections(to: 2) } catch let error as DirectoryError
                    where "\(error)".contains("simulated power loss")
                {
                } catch is SimulatedPowerLoss {}
                try disk.losePower(using: &rng)
                let generation = data.projectionsGeneration
                #expect([1, 2].contains(generation), "the pointer names generation \(generation)")
                let found = Int(try SQLiteProjectionStore(path: data.projections, readOnly: true).checkpointPosition())
                #expect(
                    found == profiles[generation],
                    "generation \(generation) has projected \(found) events, not its own \(profiles[generation] ?? -1)")
                if generation == 1 { sawOld = true } else { sawNew = true }
            }
        }
        #expect(sawOld && sawNew)
    }
}

/// Appends of generated events whose identifiers overlap (so profiles merge), a projection
/// catching up after each acknowledged one, as the server does.
struct ProjectedPlan {
    var lines: [String]
    var appends: [[Int]]

    init(using rng: inout SplitMix64) {
        let count = Int.random(in: 10...60, using: &rng)
        lines = (0..<count).map { i in
            var ids: [String] = []
            if Bool.random(using: &rng) {
                ids.append(#""phone":"1380000\#(String(format: "%04d", Int.random(in: 0..<25, using: &rng)))""#)
            }
            if Bool.random(using: &rng) {
                ids.append(#""email":"u\#(Int.random(in: 0..<25, using: &rng))@example.cn""#)
            }
            ids.append(#""device_id":"d\#(Int.random(in: 0..<30, using: &rng))""#)
            let noise = (0..<Int.random(in: 1...30, using: &rng)).map { _ in String(rng.next() % 1_000_000, radix: 36) }
                .joined()
            return
                #"{"event_id":"p\#(i)","source":"app","type":"behaviour","name":"page_view","occurred_at":"2026-03-01T10:00:00Z","identifiers":{\#(ids.joined(separator: ","))},"properties":{"path":"/\#(noise)"}}"#
        }
        var next = 0
        appends = []
        while next < count {
            let n = min(count - next, Int.random(in: 1...20, using: &rng))
            appends.append(Array(next..<next + n))
            next += n
        }
    }

    func encoded(_ indices: [Int]) throws -> EncodedLines {
        var encoded = EncodedLines()
        for i in indices {
            let bytes = Array(lines[i].utf8)
            let parsed = try bytes.withUnsafeBufferPointer {
                try EventLineParser().parse($0, appendingTo: &encoded.bytes).get()
            }
            encoded.endLine(key: parsed.key)
        }
        return encoded
    }

    /// Appends on `disk` until it fails, projecting after each acknowledged append; returns how
    /// many events were acknowledged.
    func run(on disk: Disk, in dir: String) throws -> Int {
        var acknowledged = 0
        var options = EventLogWriter.Options()
        options.segmentBytes = 8 << 10
        options.batchBytes = 1_500
        do {
            let log = try EventLogWriter(directory: dir + "/log", options: options, disk: disk)
            let store = try SQLiteProjectionStore(path: dir + "/projections.sqlite")
            let projector = try Projector(store: store, rules: .standard)
            for lines in appends {
                _ = try log.append(encoded(lines))
                acknowledged += lines.count
                _ = try projector.catchUp(with: EventLogReader(directory: dir + "/log"), batchSize: 7)
            }
        } catch is SimulatedPowerLoss {
        }
        return acknowledged
    }
}
