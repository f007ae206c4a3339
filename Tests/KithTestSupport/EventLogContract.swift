import Foundation
import KithCore
import KithGenerator
import Testing

/// One `EventLog` adapter as the contract sees it: a way to make a fresh place for a log, open
/// it (again, as a restarted process would) and crash in the middle of an append there.
public struct EventLogAdapter: Sendable, CustomTestStringConvertible {
    public let name: String
    public let makePlace: @Sendable () throws -> any EventLogPlace

    public init(name: String, makePlace: @escaping @Sendable () throws -> any EventLogPlace) {
        self.name = name
        self.makePlace = makePlace
    }

    public var testDescription: String { name }
}

/// Where one adapter keeps one log (a directory, a memory store, a database schema).
public protocol EventLogPlace: AnyObject {
    /// Opens the log kept here: what a restarted process would see.
    func open() throws -> any EventLog
    /// Leaves part of an append of `lines` written but never acknowledged, as a crash in the
    /// middle of it would. Handles to the log are closed first.
    func crashDuringAppend(of lines: EncodedLines) throws
}

/// The promises of `EventLog`, checked the same way for every adapter. Each adapter's test
/// target runs every check against it (`@Test(arguments:)`); a new adapter is added to that list
/// and must pass them unchanged.
public enum EventLogContract {
    /// Canonical-looking lines with keys `(source, "e<i>")` for each `i`.
    public static func lines(_ ids: [Int], source: String = "app") -> EncodedLines {
        var out = EncodedLines()
        for i in ids {
            let text =
                #"{"event_id":"e\#(i)","source":"\#(source)","type":"behaviour","name":"app_open","occurred_at":"2026-03-01T10:15:00Z","identifiers":{"device_id":"d\#(i % 97)"}}"#
            out.bytes.append(contentsOf: text.utf8)
            out.endLine(key: EventKey(source: Array(source.utf8), eventID: Array("e\(i)".utf8)))
        }
        return out
    }

    /// Every record from `position` on, as text.
    public static func read(_ log: any EventLog, from position: UInt64 = 0, limit: Int? = nil) throws -> [(
        UInt64, String
    )] {
        var out: [(UInt64, String)] = []
        try log.forEachLine(from: position, limit: limit) { p, line in
            out.append((p, String(decoding: line, as: UTF8.self)))
            return true
        }
        return out
    }

    static func text(_ lines: EncodedLines) -> [String] {
        var out: [String] = []
        var start = 0
        for end in lines.lineEnds {
            out.append(String(decoding: lines.bytes[start..<(end - 1)], as: UTF8.self))
            start = end
        }
        return out
    }

    /// A key already held, or repeated within one append, is counted as a duplicate and not
    /// written; `contains` knows exactly the written keys.
    public static func appendsAreIdempotent(_ adapter: EventLogAdapter) throws {
        let place = try adapter.makePlace()
        let log = try place.open()
        let first = try log.append(lines(Array(0..<10)))
        #expect(first == AppendOutcome(appended: 10, duplicates: 0, positions: 0..<10))
        let again = try log.append(lines(Array(0..<10)))
        #expect(again.appended == 0 && again.duplicates == 10 && again.positions.isEmpty)
        let mixed = try log.append(lines([5, 10, 10, 11, 0, 12]))
        #expect(mixed == AppendOutcome(appended: 3, duplicates: 3, positions: 10..<13))
        #expect(log.endPosition == 13)
        let written = try read(log).map(\.1)
        #expect(written == text(lines(Array(0..<13))))
        #expect(try (0..<13).allSatisfy { try log.contains(lines([$0]).keys[0]) })
        #expect(try !log.contains(lines([13]).keys[0]))
        #expect(try !log.contains(lines([1], source: "pos").keys[0]), "a key is the source and the event id together")
        try log.close()
    }

    /// Positions run 0, 1, 2, … without gaps in append order; a read from any position, with or
    /// without a limit, gives exactly those records; a reader may stop early.
    public static func positionsAreContiguousAndReadable(_ adapter: EventLogAdapter) throws {
        var rng = SplitMix64.forTest("EventLogContract.positionsAreContiguousAndReadable(\(adapter.name))")
        let place = try adapter.makePlace()
        let log = try place.open()
        var model: [String] = []
        var held = Set<Int>()
        for _ in 0..<40 {
            let ids = (0..<Int.random(in: 0...30, using: &rng)).map { _ in Int.random(in: 0..<600, using: &rng) }
            let outcome = try log.append(lines(ids))
            var fresh: [Int] = []
            for id in ids where held.insert(id).inserted { fresh.append(id) }
            #expect(outcome.appended == fresh.count && outcome.duplicates == ids.count - fresh.count)
            #expect(outcome.positions == UInt64(model.count)..<UInt64(model.count + fresh.count))
            model += text(lines(fresh))
        }
        #expect(log.endPosition == UInt64(model.count))
        let all = try read(log)
        #expect(all.map(\.0) == (0..<UInt64(model.count)).map { $0 })
        #expect(all.map(\.1) == model)
        for _ in 0..<50 {
            let from = Int.random(in: 0...model.count + 2, using: &rng)
            let limit = Bool.random(using: &rng) ? nil : Int.random(in: 0...40, using: &rng)
            let got = try read(log, from: UInt64(from), limit: limit)
            let upper = min(model.count, limit.map { from + $0 } ?? model.count)
            let expected = from < upper ? Array(model[from..<upper]) : []
            #expect(got.map(\.1) == expected, "read from \(from), limit \(limit.map(String.init) ?? "none")")
            #expect(got.first.map { $0.0 == UInt64(from) } ?? true)
        }
        var seen = 0
        try log.forEachLine(from: 0, limit: nil) { _, _ in
            seen += 1
            return seen < 7
        }
        #expect(seen == min(7, model.count), "a reader that returns false is not called again")
        try log.close()
    }

    /// What was acknowledged is there after reopening, with its keys: sending it again appends
    /// nothing, and new records continue at the next position.
    public static func acknowledgedAppendsSurviveReopening(_ adapter: EventLogAdapter) throws {
        let place = try adapter.makePlace()
        do {
            let log = try place.open()
            _ = try log.append(lines(Array(0..<25)))
            _ = try log.append(lines(Array(25..<40)))
            try log.close()
        }
        let reopened = try place.open()
        #expect(try read(reopened).map(\.1) == text(lines(Array(0..<40))))
        let again = try reopened.append(lines(Array(30..<45)))
        #expect(again == AppendOutcome(appended: 5, duplicates: 10, positions: 40..<45))
        #expect(try reopened.verify().isEmpty)
        try reopened.close()
    }

    /// A log that holds nothing has never been appended to; one that took a record says when
    /// (to the second, on the clock the machine keeps), before and after reopening, and an
    /// append of duplicates only does not move it.
    public static func appendsAreDated(_ adapter: EventLogAdapter) throws {
        let place = try adapter.makePlace()
        let dated: Timestamp
        do {  // the writer goes away before the log is reopened
            let log = try place.open()
            #expect(log.lastAppendedAt == nil, "an empty log says it took a record")
            let before = Int64(Date().timeIntervalSince1970.rounded(.down))
            _ = try log.append(lines(Array(0..<10)))
            let after = Int64(Date().timeIntervalSince1970.rounded(.up))
            dated = try #require(log.lastAppendedAt, "a log that took records does not say when")
            #expect(
                (before...after).contains(dated.epochSeconds), "appended between \(before) and \(after), dated \(dated)"
            )
            try log.close()
        }
        Thread.sleep(forTimeInterval: 1.1)
        let reopened = try place.open()
        #expect(reopened.lastAppendedAt?.epochSeconds == dated.epochSeconds, "reopening changed when it was appended")
        _ = try reopened.append(lines(Array(0..<10)))
        #expect(reopened.lastAppendedAt?.epochSeconds == dated.epochSeconds, "duplicates alone moved it")
        _ = try reopened.append(lines([10]))
        #expect((reopened.lastAppendedAt?.epochSeconds ?? 0) > dated.epochSeconds, "a later append did not move it")
        try reopened.close()
    }

    /// A log's footprint counts its records' canonical bytes exactly, keeps at least the bytes it
    /// says the records take, grows with appends, not with duplicates, and reads the same after
    /// reopening.
    public static func footprintCountsTheRecords(_ adapter: EventLogAdapter) throws {
        let place = try adapter.makePlace()
        let empty: LogFootprint
        let filled: LogFootprint
        do {  // the writer goes away before the log is reopened
            let log = try place.open()
            empty = try log.footprint()
            #expect(empty.recordBytes == 0 && empty.canonicalBytes == 0, "an empty log has record bytes: \(empty)")
            _ = try log.append(lines(Array(0..<40)))
            filled = try log.footprint()
            let canonical = try read(log).reduce(0) { $0 + $1.1.utf8.count + 1 }
            #expect(filled.canonicalBytes == canonical, "canonical bytes \(filled.canonicalBytes), lines \(canonical)")
            #expect(filled.recordBytes > 0 && filled.storedBytes >= filled.recordBytes, "\(filled)")
            _ = try log.append(lines(Array(0..<40)))
            #expect(try log.footprint().canonicalBytes == canonical, "duplicates counted")
            try log.close()
        }
        let reopened = try place.open()
        let again = try reopened.footprint()
        #expect(again.canonicalBytes == filled.canonicalBytes && again.recordBytes == filled.recordBytes)
        _ = try reopened.append(lines([40]))
        let grown = try reopened.footprint()
        let added = try read(reopened, from: 40).reduce(0) { $0 + $1.1.utf8.count + 1 }
        #expect(grown.canonicalBytes == filled.canonicalBytes + added)
        #expect(grown.recordBytes > filled.recordBytes)
        try reopened.close()
    }

    /// A crash in the middle of an append leaves the acknowledged records and at most a prefix
    /// of the unacknowledged one (never a half-written or out-of-order record); the log opens by
    /// itself, knows the keys of exactly what it holds, and sending again lands the rest once.
    public static func aCrashDuringAnAppendLeavesWhatWasAcknowledged(_ adapter: EventLogAdapter) throws {
        let place = try adapter.makePlace()
        do {
            let log = try place.open()
            _ = try log.append(lines(Array(0..<30)))
            try log.close()
        }
        try place.crashDuringAppend(of: lines(Array(30..<60)))
        let reopened = try place.open()
        let survived = try read(reopened).map(\.1)
        let everything = text(lines(Array(0..<60)))
        #expect(survived.count >= 30, "acknowledged records lost")
        #expect(Array(everything.prefix(survived.count)) == survived, "the log is not a prefix of what was written")
        let kept = survived.count - 30
        #expect(try (30..<60).allSatisfy { try reopened.contains(lines([$0]).keys[0]) == ($0 < 30 + kept) })
        let resent = try reopened.append(lines(Array(30..<60)))
        #expect(resent == AppendOutcome(appended: 30 - kept, duplicates: kept, positions: UInt64(30 + kept)..<60))
        #expect(try read(reopened).map(\.1) == everything)
        #expect(try reopened.verify().isEmpty)
        try reopened.close()
    }

    /// Appends from several threads at once each land once, at distinct positions, and every
    /// acknowledged record reads back.
    public static func concurrentAppendsLandOnce(_ adapter: EventLogAdapter) throws {
        let place = try adapter.makePlace()
        let log = try place.open()
        let outcomes = Outcomes()
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for round in 0..<10 {
                // Half of each append overlaps another thread's.
                let base = thread * 100 + round * 10
                let ids = Array(base..<base + 10) + Array((base + 50)..<(base + 55))
                do { outcomes.add(try log.append(lines(ids))) } catch { outcomes.fail(error) }
            }
        }
        #expect(outcomes.errors.isEmpty, "\(outcomes.errors)")
        let all = try read(log)
        #expect(all.map(\.0) == (0..<UInt64(all.count)).map { $0 })
        #expect(Set(all.map(\.1)).count == all.count, "a record landed twice")
        #expect(all.count == outcomes.appended && UInt64(all.count) == log.endPosition)
        let positions = outcomes.positions.sorted { $0.lowerBound < $1.lowerBound }
        #expect(positions.flatMap { Array($0) } == (0..<UInt64(all.count)).map { $0 }, "appends' positions overlap")
        try log.close()
    }

    /// Thread-safe tallies of concurrent appends.
    public final class Outcomes: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        private let lock = NSLock()
        private var all: [AppendOutcome] = []
        private var failures: [String] = []
        public init() {}
        public func add(_ o: AppendOutcome) { lock.withLock { all.append(o) } }
        public func fail(_ e: any Error) { lock.withLock { failures.append("\(e)") } }
        public var errors: [String] { lock.withLock { failures } }
        public var appended: Int { lock.withLock { all.reduce(0) { $0 + $1.appended } } }
        public var positions: [Range<UInt64>] { lock.withLock { all.map(\.positions).filter { !$0.isEmpty } } }
    }
}
