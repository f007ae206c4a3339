import Foundation
import KithCore
import KithGenerator
import KithTestSupport
import Testing

@testable import KithLog

/// The active segment's keys, saved when a writer closes (`ActiveKeysFile`), stand in for
/// reading the segment only where they are its keys.
struct ActiveKeysFileTests {
    static var options: EventLogWriter.Options {
        var o = EventLogWriter.Options()
        o.segmentBytes = 4 << 10
        return o
    }

    /// The active segment's keys as a writer opening `directory` finds them, and as reading the
    /// whole segment gives them (the file moved aside for that, then put back).
    static func activeKeys(_ directory: String) throws -> (opened: [EventKey], read: [EventKey], path: String?) {
        let opened = try LogOpening.open(directory: directory, disk: .real)
        let segment = try LogOpening.segmentFiles(in: directory).last?.path ?? ""
        let path = ActiveKeysFile.path(of: segment)
        guard FileManager.default.fileExists(atPath: path) else { return (opened.activeKeys, opened.activeKeys, nil) }
        try FileManager.default.moveItem(atPath: path, toPath: path + ".aside")
        defer { try? FileManager.default.moveItem(atPath: path + ".aside", toPath: path) }
        let read = try LogOpening.open(directory: directory, disk: .real).activeKeys
        return (opened.activeKeys, read, path)
    }

    @Test(
        "A reopened writer takes the active segment's keys from the file its last close left: the keys reading it gives (property)"
    )
    func savedKeysAreTheSegmentsKeys() throws {
        try withTemporaryDirectory { directory in
            var rng = SplitMix64.forTest("ActiveKeysFileTests.savedKeysAreTheSegmentsKeys")
            var next = 0
            var used = 0
            var sealedFiles = 0
            for session in 0..<14 {
                // Each writer in a scope of its own: its lock goes with it.
                do {
                    let writer = try EventLogWriter(directory: directory, options: Self.options)
                    for _ in 0..<Int.random(in: 1...5, using: &rng) {
                        // New events, and some seen before: only the new ones land.
                        let count = Int.random(in: 1...60, using: &rng)
                        let again = next > 0 ? Array(0..<next).shuffled(using: &rng).prefix(5) : []
                        let outcome = try writer.append(lines(next..<(next + count)))
                        _ = try writer.append(EventLogContract.lines(Array(again)))
                        #expect(outcome.duplicates == 0)
                        next += count
                    }
                    try writer.close()
                }
                let (opened, read, path) = try Self.activeKeys(directory)
                #expect(opened == read, "session \(session): the saved keys are the segment's")
                if path != nil { used += 1 }
                // A sealed segment keeps no saved active keys: its `.keys` file says it all.
                let names = try FileManager.default.contentsOfDirectory(atPath: directory)
                sealedFiles = names.filter { $0.hasSuffix(ActiveKeysFile.fileExtension) }.count
                #expect(sealedFiles <= 1)
                // Everything appended so far is known after reopening: none of it lands again.
                do {
                    let again = try EventLogWriter(directory: directory, options: Self.options)
                    let repeated = try again.append(lines(0..<next))
                    #expect(repeated.duplicates == next, "session \(session)")
                    try again.close()
                }
            }
            #expect(used > 10, "most reopenings read saved keys")
            #expect(try LogOpening.segmentFiles(in: directory).count > 3, "the log rolled segments")
        }
    }

    @Test("Saved keys that are stale, damaged or another segment's are not trusted: the segment is read")
    func untrustedKeysAreNotUsed() throws {
        try withTemporaryDirectory { base in
            let directory = base + "/log"
            let other = base + "/other"
            for (dir, range) in [(directory, 0..<40), (other, 1_000..<1_030)] {
                do {
                    let writer = try EventLogWriter(directory: dir, options: Self.options)
                    _ = try writer.append(lines(range))
                    try writer.close()
                }
            }
            let path = ActiveKeysFile.path(of: try LogOpening.segmentFiles(in: directory)[0].path)
            let old = try Data(contentsOf: URL(fileURLWithPath: path))

            // Stale: saved before more was appended. Its prefix is still the segment's.
            do {
                let writer = try EventLogWriter(directory: directory, options: Self.options)
                _ = try writer.append(lines(40..<70))
                try writer.close()
            }
            try old.write(to: URL(fileURLWithPath: path))
            var keys = try Self.activeKeys(directory)
            #expect(keys.opened == keys.read && keys.opened.count == 70)

            // Damaged: a flipped byte in the keys.
            var damaged = old
            damaged[damaged.count - 3] ^= 0x40
            try damaged.write(to: URL(fileURLWithPath: path))
            #expect(ActiveKeysFile.read(from: path) == nil)
            keys = try Self.activeKeys(directory)
            #expect(keys.opened == keys.read && keys.opened.count == 70)

            // Another log's: whole and intact, but not made from these batches.
            let foreign = ActiveKeysFile.path(of: try LogOpening.segmentFiles(in: other)[0].path)
            try FileManager.default.removeItem(atPath: path)
            try FileManager.default.copyItem(atPath: foreign, toPath: path)
            #expect(ActiveKeysFile.read(from: path) != nil)
            keys = try Self.activeKeys(directory)
            #expect(keys.opened == keys.read && keys.opened.count == 70)
            let again = try EventLogWriter(directory: directory, options: Self.options)
            #expect(try again.append(lines(0..<70)).duplicates == 70)
            #expect(try again.append(lines(1_000..<1_030)).duplicates == 0, "the other log's keys were not taken")
            try again.close()
        }
    }

    @Test("log verify finds saved keys a writer would take that disagree with the active segment; repair removes them")
    func verifyAndRepairSeeThem() throws {
        try withTemporaryDirectory { directory in
            do {
                let writer = try EventLogWriter(directory: directory, options: Self.options)
                _ = try writer.append(lines(0..<30))
                try writer.close()
            }
            let segment = try LogOpening.segmentFiles(in: directory)[0].path
            let path = ActiveKeysFile.path(of: segment)
            #expect(try LogCheck(directory: directory).isClean, "saved keys that match are fine")
            guard let saved = ActiveKeysFile.read(from: path) else {
                Issue.record("the writer saved no keys")
                return
            }
            // Whole, made from these batches, but not their keys (written by something else).
            var wrong = saved.keys
            wrong.swapAt(0, wrong.count - 1)
            let opening = try LogOpening.open(directory: directory, disk: .real)
            try ActiveKeysFile.write(wrong, of: opening.activeBatches[...], to: path)
            var check = try LogCheck(directory: directory)
            #expect(check.problems.map(\.kind) == [.keysFile] && check.onlySafeRepairs)
            #expect(check.problems.first?.file == (path as NSString).lastPathComponent)
            let repair = try LogRepair(directory: directory, salvage: false, setAside: directory + ".aside")
            #expect(repair.remaining.isEmpty && !FileManager.default.fileExists(atPath: path))
            // Damaged (a power loss can tear them: they are not synced): a writer ignores them, so
            // they are no problem.
            try Data("KITHKEYA and then nothing that reads".utf8).write(to: URL(fileURLWithPath: path))
            check = try LogCheck(directory: directory)
            #expect(check.isClean)
        }
    }
}
