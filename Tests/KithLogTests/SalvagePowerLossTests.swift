import Foundation
import KithCore
import KithFaults
import KithGenerator
import Testing

@testable import KithLog

/// `kith log repair --salvage` copies the intact events of a damaged log into a new one and
/// swaps the two directories. A power loss at any step of that must leave a log that opens as
/// either the damaged original or the whole copy: never a missing log, which a writer would
/// take for an empty one and start afresh beside the data.
@Suite struct SalvagePowerLossTests {
    static var options: EventLogWriter.Options {
        var o = EventLogWriter.Options()
        o.segmentBytes = 4 << 10
        o.batchBytes = 2_000
        return o
    }

    /// A log of 2,000 events in several segments, with one byte of a sealed segment flipped.
    static func damagedLog(in directory: String) throws -> (events: Int, damagedSegment: String) {
        let writer = try EventLogWriter(directory: directory, options: options)
        for start in stride(from: 0, to: 2_000, by: 100) { _ = try writer.append(lines(start..<start + 100)) }
        try writer.close()
        let segments = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".seg") }
            .sorted()
        let handle = try #require(FileHandle(forUpdatingAtPath: directory + "/" + segments[1]))
        try handle.seek(toOffset: 200)
        let byte = try #require(try handle.read(upToCount: 1)?.first)
        try handle.seek(toOffset: 200)
        try handle.write(contentsOf: Data([byte ^ 0x5A]))
        try handle.close()
        #expect(segments.count > 2)
        return (2_000, segments[1])
    }

    @Test("a power loss at every step of a salvage leaves the damaged log or the whole copy, and repair finishes")
    func salvageSurvivesPowerLossAtEveryStep() throws {
        var rng = SplitMix64.forTest("SalvagePowerLossTests.salvageSurvivesPowerLossAtEveryStep")
        let (operations, expectedKept) = try withTemporaryDirectory { dir in
            let damaged = try Self.damagedLog(in: dir + "/data/log")
            let counter = try PowerLossDisk(root: dir + "/data")
            let repair = try LogRepair(
                directory: dir + "/data/log", salvage: true, setAside: dir + "/data/damaged/log", disk: counter.disk)
            let salvage = try #require(repair.salvage)
            #expect(salvage.lostEvents > 0 && salvage.keptEvents + salvage.lostEvents == damaged.events)
            return (counter.operations, salvage.keptEvents)
        }
        #expect(operations > 10)
        var sawOriginal = 0
        var sawCopy = 0
        for crashAt in 1...operations {
            for _ in 0..<3 {
                try withTemporaryDirectory { dir in
                    let log = dir + "/data/log"
                    let damaged = try Self.damagedLog(in: log)
                    let intact = try LogCheck(directory: log)
                    let disk = try PowerLossDisk(root: dir + "/data", crashAt: crashAt)
                    #expect(
                        throws: (any Error).self,
                        "the salvage ran past operation \(crashAt)",
                        performing: {
                            try LogRepair(
                                directory: log, salvage: true, setAside: dir + "/data/damaged/log", disk: disk.disk)
                        })
                    let story = try disk.losePower(using: &rng)
                    let context = "crash at operation \(crashAt) of \(operations): \(story)"

                    // Whoever opens the log next sees the original or the finished copy.
                    let survived = try readAllTolerating(log)
                    let check = try LogCheck(directory: log)
                    if check.isClean {
                        sawCopy += 1
                        #expect(survived.count == expectedKept, "the copy in place is not whole (\(context))")
                        #expect(
                            FileManager.default.fileExists(atPath: dir + "/data/damaged/log/" + damaged.damagedSegment),
                            "the damaged original was lost (\(context))")
                    } else {
                        sawOriginal += 1
                        #expect(
                            check.problems.map(\.kind) == intact.problems.map(\.kind),
                            "the log in place is neither the original nor the copy (\(context))")
                    }
                    #expect(
                        !FileManager.default.fileExists(atPath: log + "/" + LogRepair.salvagedMarker),
                        "the salvage marker was left in the log (\(context))")

                    // Repair is run again and finishes, whatever was left.
                    let aside = dir + "/data/damaged-again/log"
                    _ = try LogRepair(directory: log, salvage: true, setAside: aside)
                    let after = try LogCheck(directory: log)
                    #expect(after.isClean, "a second repair did not finish (\(context))")
                    #expect(try readAll(log).count == expectedKept, "(\(context))")
                }
            }
        }
        #expect(sawOriginal > 0 && sawCopy > 0, "original \(sawOriginal), copy \(sawCopy)")
    }

    /// The lines a reader can see before the damage (a damaged log refuses past it).
    func readAllTolerating(_ directory: String) throws -> [String] {
        var out: [String] = []
        do {
            try EventLogReader(directory: directory).forEachLine { _, line in
                out.append(String(decoding: line, as: UTF8.self))
                return true
            }
        } catch let error as LogError where error.code == .corrupt {}
        return out
    }
}
