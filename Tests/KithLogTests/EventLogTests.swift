import Foundation
import KithCore
import KithGenerator
import Testing

@testable import KithLog

@Suite("Event log")
struct EventLogTests {
    @Test("Positions are contiguous from 0 and readers start at any position")
    func positions() throws {
        try withTemporaryDirectory { dir in
            // Given a log with three appends (small batches, several segments)
            var options = EventLogWriter.Options()
            options.segmentBytes = 4_096
            options.batchBytes = 1_024
            let log = try EventLogWriter(directory: dir, options: options)
            #expect(try log.append(lines(0..<50)).positions == 0..<50)
            #expect(try log.append(lines(50..<120)).positions == 50..<120)
            #expect(try log.append(lines(120..<300)).positions == 120..<300)
            // Then every record reads back at its position, from anywhere
            let all = try readAll(dir)
            #expect(all.map(\.0) == Array(0..<300))
            #expect(all[123].1.contains(#""event_id":"e123""#))
            let reader = try EventLogReader(directory: dir)
            #expect(reader.segments.count > 1)
            var seen: [UInt64] = []
            try reader.forEachLine(from: 217, limit: 5) { p, _ in
                seen.append(p)
                return true
            }
            #expect(seen == [217, 218, 219, 220, 221])
        }
    }

    @Test("(source, event_id) is stored once: within an append, across appends and after reopening")
    func idempotency() throws {
        try withTemporaryDirectory { dir in
            var batch = lines(0..<10)
            batch.bytes.append(contentsOf: Array(#"{"event_id":"e3","source":"app"}"#.utf8))
            batch.endLine(key: EventKey(source: Array("app".utf8), eventID: Array("e3".utf8)))
            do {
                let log = try EventLogWriter(directory: dir)
                let first = try log.append(batch)
                #expect(first.appended == 10)
                #expect(first.duplicates == 1)
                #expect(try log.append(lines(5..<15)).appended == 5)
                // Same id from another source is a different event.
                #expect(try log.append(lines(0..<3, source: "web")).appended == 3)
            }
            let reopened = try EventLogWriter(directory: dir)
            let again = try reopened.append(lines(0..<20))
            #expect(again.appended == 5)
            #expect(again.duplicates == 15)
            #expect(reopened.nextPosition == 23)
        }
    }

    @Test("Sealed segments get .keys files; a deleted or damaged one is rebuilt and reported")
    func keysFiles() throws {
        try withTemporaryDirectory { dir in
            var options = EventLogWriter.Options()
            options.segmentBytes = 2_048
            options.batchBytes = 512
            do {
                let log = try EventLogWriter(directory: dir, options: options)
                _ = try log.append(lines(0..<200))
            }
            let keys = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".keys") }
                .sorted()
            #expect(keys.count >= 3)
            let sealed = dir + "/" + keys[0].replacingOccurrences(of: ".keys", with: ".seg")
            let mode = try FileManager.default.attributesOfItem(atPath: sealed)[.posixPermissions] as? Int
            #expect(mode == 0o444, "sealed segments are read-only")
            // An intact file reads back as the keys of its segment's lines, sorted.
            let intact = dir + "/" + keys[2]
            let stored = try #require(
                KeysFile.read(
                    from: intact, expectedCount: (try Data(contentsOf: URL(fileURLWithPath: intact)).count - 24) / 16))
            let written = Set((0..<200).map { EventKey(source: Array("app".utf8), eventID: Array("e\($0)".utf8)) })
            #expect(!stored.isEmpty && KeysFile.isSorted(stored) && Set(stored).isSubset(of: written))
            // Deleted; cut short; the same size with one bit flipped (only the checksum tells).
            try FileManager.default.removeItem(atPath: dir + "/" + keys[0])
            try Data([1, 2, 3]).write(to: URL(fileURLWithPath: dir + "/" + keys[1]))
            var flipped = try Data(contentsOf: URL(fileURLWithPath: intact))
            flipped[flipped.count - 5] ^= 0x10
            try flipped.write(to: URL(fileURLWithPath: intact))
            let log = try EventLogWriter(directory: dir, options: options)
            #expect(log.recovery.rebuiltKeyFiles.count == 3)
            #expect(try log.append(lines(0..<200)).duplicates == 200)
        }
    }

    @Test("A torn tail is cut back to the last whole batch and reported; earlier batches survive")
    func tornTail() throws {
        try withTemporaryDirectory { dir in
            do {
                let log = try EventLogWriter(directory: dir)
                _ = try log.append(lines(0..<100))
                _ = try log.append(lines(100..<200))
            }
            let segment = dir + "/" + SegmentName.file(firstPosition: 0, extension: "seg")
            let size = try FileManager.default.attributesOfItem(atPath: segment)[.size] as! Int
            // Simulate a crash in the middle of writing the second batch.
            let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: segment))
            try handle.truncate(atOffset: UInt64(size - 10))
            try handle.close()
            let log = try EventLogWriter(directory: dir)
            #expect(log.recovery.cuts.count == 1)
            #expect(log.recovery.cuts[0].reason.contains("cut short"))
            #expect(log.nextPosition == 100)
            // The lost batch can be appended again and lands at the next position.
            #expect(try log.append(lines(0..<200)).positions == 100..<200)
        }
    }

    @Test("Flipped bytes in the active segment's last batch are caught by the CRC and cut")
    func corruptTail() throws {
        try withTemporaryDirectory { dir in
            do {
                let log = try EventLogWriter(directory: dir)
                _ = try log.append(lines(0..<100))
                _ = try log.append(lines(100..<150))
            }
            let segment = dir + "/" + SegmentName.file(firstPosition: 0, extension: "seg")
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment)))
            bytes[bytes.count - 5] ^= 0xFF
            try Data(bytes).write(to: URL(fileURLWithPath: segment))
            let log = try EventLogWriter(directory: dir)
            #expect(log.recovery.cuts.first?.reason.contains("CRC mismatch") == true)
            #expect(log.nextPosition == 100)
        }
    }

    @Test("A reader refuses a batch whose bytes changed, naming file and offset")
    func readerChecksCRC() throws {
        try withTemporaryDirectory { dir in
            do { _ = try EventLogWriter(directory: dir).append(lines(0..<100)) }
            let segment = dir + "/" + SegmentName.file(firstPosition: 0, extension: "seg")
            var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: segment)))
            bytes[SegmentName.headerSize + BatchHeader.size + 10] ^= 0x01
            try Data(bytes).write(to: URL(fileURLWithPath: segment))
            #expect {
                try readAll(dir)
            } throws: { error in
                let text = "\(error)"
                return text.contains("CRC mismatch") && text.contains(segment) && text.contains("offset 16")
            }
        }
    }

    @Test("A second writer is refused with a message naming the holder")
    func singleWriter() throws {
        try withTemporaryDirectory { dir in
            var options = EventLogWriter.Options()
            options.purpose = "kith ingest pos.csv"
            let first = try EventLogWriter(directory: dir, options: options)
            #expect {
                _ = try EventLogWriter(directory: dir)
            } throws: { error in
                guard let e = error as? LogError else { return false }
                return e.code == .locked && e.message.contains("pid \(getpid())")
                    && e.message.contains("kith ingest pos.csv")
            }
            _ = first
        }
    }

    @Test("Concurrent appenders share fsyncs (group commit) and lose nothing")
    func groupCommit() async throws {
        try await withTemporaryDirectoryAsync { dir in
            let log = try EventLogWriter(directory: dir)
            // Eight real threads: the task pool has one thread a core (two here), and appends
            // block in fdatasync, so tasks would never be more than two at once.
            let done = DispatchGroup()
            let failures = NSLock()
            nonisolated(unsafe) var errors: [any Error] = []
            for worker in 0..<8 {
                done.enter()
                Thread.detachNewThread {
                    defer { done.leave() }
                    for round in 0..<25 {
                        let start = (worker * 25 + round) * 4
                        do { _ = try log.append(lines(start..<(start + 4))) } catch {
                            failures.withLock { errors.append(error) }
                        }
                    }
                }
            }
            done.wait()
            #expect(errors.isEmpty)
            #expect(log.nextPosition == 800)
            // 200 appends: a writer that synced each one would count 200. Eight appenders each
            // wait while another's fdatasync runs (milliseconds), so syncs are shared: at most
            // half as many is a loose bound that one sync per append cannot meet.
            #expect(log.syncCount <= 100, "\(log.syncCount) fdatasyncs for 200 concurrent appends")
            #expect(log.syncCount >= 1)
            let positions = try readAll(dir).map(\.0)
            #expect(positions == Array(0..<800))
        }
    }

    @Test("The CRC-32C implementation matches the standard check value")
    func crcCheckValue() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.software(UnsafeRawBufferPointer(start: nil, count: 0)) == 0)
        let check = Array("123456789".utf8)
        #expect(check.withUnsafeBytes { CRC32C.software($0) } == 0xE306_9283)
    }

    @Test(
        "Whatever the CPU offers, checksums equal the table-driven ones at every length, alignment and split (property)"
    )
    func crcHardwareAgreesWithTables() {
        #if arch(x86_64)
            #expect(
                CRC32C.hardwareAvailable,
                "x86-64 CPUs since 2008 have SSE4.2; without it this test compares the tables with themselves")
        #endif
        var rng = SplitMix64.forTest("EventLogTests.crcHardwareAgreesWithTables")
        let bytes = (0..<4_200).map { _ in UInt8.random(in: 0...255, using: &rng) }
        bytes.withUnsafeBytes { all in
            for _ in 0..<2_000 {
                let start = Int.random(in: 0..<64, using: &rng)
                let end = Int.random(in: start...all.count, using: &rng)
                let split = Int.random(in: start...end, using: &rng)
                let whole = UnsafeRawBufferPointer(rebasing: all[start..<end])
                let expected = CRC32C.software(whole)
                #expect(CRC32C.checksum(whole) == expected)
                // Continuing across a split equals one checksum of the whole.
                let head = CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[start..<split]))
                #expect(
                    CRC32C.checksum(UnsafeRawBufferPointer(rebasing: all[split..<end]), continuing: head) == expected)
            }
        }
    }

    @Test("The key table behaves like a Set under random inserts and removals (oracle)")
    func keyTableOracle() {
        var table = KeyTable(capacity: 16)
        var oracle = Set<EventKey>()
        var rng = SplitMix64.forTest("EventLogTests.keyTableOracle")
        for _ in 0..<50_000 {
            let key = EventKey(
                high: UInt64.random(in: 0..<64, using: &rng), low: UInt64.random(in: 0..<64, using: &rng))
            if Bool.random(using: &rng) {
                #expect(table.insert(key) == oracle.insert(key).inserted)
            } else {
                table.remove(key)
                oracle.remove(key)
            }
        }
        #expect(table.count == oracle.count)
        for k in oracle { #expect(table.contains(k)) }
    }

    @Test("Searching sorted keys finds exactly the keys present, for hashed keys and for clustered ones")
    func keySearchOracle() {
        var rng = SplitMix64.forTest("EventLogTests.keySearchOracle")
        for round in 0..<40 {
            let clustered = round % 2 == 1
            func randomKey() -> EventKey {
                clustered
                    ? EventKey(
                        high: UInt64.random(in: 0..<50, using: &rng) << 40, low: UInt64.random(in: 0..<9, using: &rng))
                    : EventKey(
                        high: UInt64.random(in: .min ... .max, using: &rng),
                        low: UInt64.random(in: .min ... .max, using: &rng))
            }
            var present = Set<EventKey>()
            let size = Int.random(in: 0..<3_000, using: &rng)
            while present.count < min(size, clustered ? 400 : size) { present.insert(randomKey()) }
            let sorted = present.sorted { $0.precedes($1) }
            for k in sorted { #expect(IdempotencyKeys.search(sorted, k), "round \(round)") }
            for _ in 0..<500 {
                let k = randomKey()
                #expect(IdempotencyKeys.search(sorted, k) == present.contains(k), "round \(round)")
            }
        }
    }

    @Test(
        "Idempotency keys (a key index, sorted sealed arrays, merged after many lookups, plus a table) behave like a Set, key by key or in batches",
        arguments: [false, true])
    func idempotencyKeysOracle(withIndex: Bool) throws {
        try withTemporaryDirectory { try idempotencyKeysOracle(withIndex: withIndex, directory: $0) }
    }

    func idempotencyKeysOracle(withIndex: Bool, directory: String) throws {
        var rng = SplitMix64.forTest("EventLogTests.idempotencyKeysOracle")
        // 40,000 possible keys, so draws repeat; many share a `high` (ordered by `low`). `low`
        // is scrambled, as a hash's is: the table picks slots by it, and 200 distinct values
        // made its probes crawl (the test took 40 s). The table's two marker keys, (0, 0) and
        // (0, 1), stay among them.
        func randomKey() -> EventKey {
            let high = UInt64.random(in: 0..<200, using: &rng)
            let r = UInt64.random(in: 0..<200, using: &rng)
            let mixed = (high * 200 + r) &* 0x9E37_79B9_7F4A_7C15
            return EventKey(high: high, low: high == 0 && r < 2 ? r : mixed ^ (mixed >> 31))
        }
        // Sealed segments: disjoint key sets, each sorted as a .keys file is.
        var all = Set<EventKey>()
        while all.count < 3_000 { all.insert(randomKey()) }
        let shuffled = all.shuffled(using: &rng)
        let sealed = stride(from: 0, to: 2_500, by: 300).map { start in
            Array(shuffled[start..<min(2_500, start + 300)]).sorted { $0.precedes($1) }
        }
        let active = Array(shuffled[2_500...])
        var keys = IdempotencyKeys(sealed: sealed, active: active)
        if withIndex {
            // The first four segments' keys in the key index, the rest in their own arrays.
            let path = directory + "/" + KeyIndex.fileName
            try IdempotencyKeys.merged(Array(sealed.prefix(4))).withUnsafeBufferPointer {
                try KeyIndex.write($0, segments: 4, coverage: 0, to: path)
            }
            keys = IdempotencyKeys(
                index: KeyIndex.open(path), withoutIndex: { [] },
                sealed: sealed.dropFirst(4).map(SealedKeys.init(owning:)),
                active: active)
        }
        var oracle = all
        var inserted = Set<EventKey>()
        // Enough operations to cross the merge threshold, so both lookup paths are exercised.
        for _ in 0..<(IdempotencyKeys.mergeAfter + 10_000) {
            let key = randomKey()
            switch Int.random(in: 0..<4, using: &rng) {
            case 0:
                let new = oracle.insert(key).inserted
                #expect(try keys.insert(contentsOf: [key]) == [new])
                if new { inserted.insert(key) }
            case 3:
                // A batch, repeats within it included, answers as one insert after another.
                let batch = [key] + (0..<Int.random(in: 0..<40, using: &rng)).map { _ in randomKey() }
                let expected = batch.map { k in oracle.insert(k).inserted }
                #expect(try keys.insert(contentsOf: batch) == expected)
                for (k, new) in zip(batch, expected) where new { inserted.insert(k) }
            case 1:
                // Only keys inserted since opening can be taken back (a failed append).
                if let k = inserted.randomElement(using: &rng) {
                    keys.remove(k)
                    oracle.remove(k)
                    inserted.remove(k)
                }
            default:
                let found = try keys.contains(key)
                #expect(found == oracle.contains(key))
            }
        }
        #expect(keys.count == oracle.count)
        for k in oracle {
            let found = try keys.contains(k)
            #expect(found)
        }
    }
}

func withTemporaryDirectoryAsync(_ body: (String) async throws -> Void) async throws {
    let path = NSTemporaryDirectory() + "kith-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    try await body(path)
}
