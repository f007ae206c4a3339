import Foundation
import KithCore
import KithGenerator
import KithMemory
import KithPostgres
import KithTestSupport
import Testing

@testable import KithLog

/// Every `EventLog` adapter against the one contract (`EventLogContract`): the file log of the
/// embedded default, the PostgreSQL log and the in-memory reference they are held to.
@Suite struct EventLogContractTests {
    static let adapters: [EventLogAdapter] = [
        EventLogAdapter(name: "file log") { try FileLogPlace() },
        EventLogAdapter(name: "PostgreSQL") { try PostgresLogPlace() },
        EventLogAdapter(name: "in-memory reference") { MemoryLogPlace() },
    ]

    @Test("appends are idempotent by (source, event_id)", arguments: adapters)
    func appendsAreIdempotent(_ adapter: EventLogAdapter) throws {
        try EventLogContract.appendsAreIdempotent(adapter)
    }

    @Test("positions are contiguous and every read gives exactly the records asked for", arguments: adapters)
    func positionsAreContiguousAndReadable(_ adapter: EventLogAdapter) throws {
        try EventLogContract.positionsAreContiguousAndReadable(adapter)
    }

    @Test("acknowledged appends survive reopening, keys included", arguments: adapters)
    func acknowledgedAppendsSurviveReopening(_ adapter: EventLogAdapter) throws {
        try EventLogContract.acknowledgedAppendsSurviveReopening(adapter)
    }

    @Test("a crash during an append leaves what was acknowledged and a prefix of the rest", arguments: adapters)
    func aCrashDuringAnAppendLeavesWhatWasAcknowledged(_ adapter: EventLogAdapter) throws {
        try EventLogContract.aCrashDuringAnAppendLeavesWhatWasAcknowledged(adapter)
    }

    @Test("an append is dated; duplicates alone and reopening do not move the date", arguments: adapters)
    func appendsAreDated(_ adapter: EventLogAdapter) throws {
        try EventLogContract.appendsAreDated(adapter)
    }

    @Test("the footprint counts the records' bytes, before and after reopening", arguments: adapters)
    func footprintCountsTheRecords(_ adapter: EventLogAdapter) throws {
        try EventLogContract.footprintCountsTheRecords(adapter)
    }

    @Test(
        "projection reads what decoding the lines gives: any window, any replay's rules, again, reopened",
        arguments: adapters)
    func projectedEventsAreTheDecodedLines(_ adapter: EventLogAdapter) throws {
        try EventLogContract.projectedEventsAreTheDecodedLines(adapter)
    }

    @Test("concurrent appends land once each, at distinct positions", arguments: adapters)
    func concurrentAppendsLandOnce(_ adapter: EventLogAdapter) throws {
        try EventLogContract.concurrentAppendsLandOnce(adapter)
    }
}

/// A file log in a temporary directory, with small segments so the contract crosses them.
final class FileLogPlace: EventLogPlace {
    let directory = NSTemporaryDirectory() + "kith-contract-" + UUID().uuidString
    var options: EventLogWriter.Options {
        var o = EventLogWriter.Options()
        o.segmentBytes = 6 << 10
        o.batchBytes = 1_500
        return o
    }

    init() throws {}
    deinit { try? FileManager.default.removeItem(atPath: directory) }

    func open() throws -> any EventLog { try FileEventLog(directory: directory, options: options) }

    /// Writes the append for real, stops it before its sync, then cuts the segment at a random
    /// byte of what was written: a torn write the writer must cut when it next opens.
    func crashDuringAppend(of lines: EncodedLines) throws {
        let stop = StopBeforeSegmentSync()
        do {
            let log = try FileEventLog(directory: directory, options: options, disk: Disk(observer: stop))
            _ = try log.append(lines)
            Issue.record("the append returned although its sync was stopped")
        } catch is StopBeforeSegmentSync.Stopped {}
        let (segment, before) = try #require(stop.firstWrite)
        let after = (try FileManager.default.attributesOfItem(atPath: segment)[.size] as? Int) ?? 0
        var rng = SplitMix64.forTest("FileLogPlace.crashDuringAppend")
        let kept = before + Int.random(in: 0..<max(1, after - before), using: &rng)
        #expect(truncate(segment, off_t(kept)) == 0)
    }
}

/// Lets writes through and stops the first sync of a segment, remembering where the writes
/// began.
final class StopBeforeSegmentSync: DiskObserver, @unchecked Sendable {
    // @unchecked: guarded by `lock`.
    struct Stopped: Error {}
    private let lock = NSLock()
    private var first: (String, Int)?
    var firstWrite: (String, Int)? { lock.withLock { first } }

    func willPerform(_ operation: DiskOperation) throws {
        try lock.withLock {
            switch operation {
            case .write(let path, let offset, _) where path.hasSuffix(".seg") && first == nil:
                first = (path, offset)
            case .sync(let path) where path.hasSuffix(".seg") && first != nil:
                throw Stopped()
            default: break
            }
        }
    }
}

/// The in-memory reference: an append is all or nothing, so a crash during one leaves nothing.
final class MemoryLogPlace: EventLogPlace {
    let storage = MemoryEventLog.Storage()
    func open() throws -> any EventLog { MemoryEventLog(storage: storage) }
    func crashDuringAppend(of lines: EncodedLines) throws {}
}
