import Foundation
import KithCore
import KithTestSupport
import Testing

@testable import KithLog

@Suite("The key index: sealed segments' keys in one array, each block checked when read")
struct KeyIndexTests {
    static func keys(_ range: Range<Int>, source: String = "app") -> [EventKey] {
        range.map { EventKey(source: Array(source.utf8), eventID: Array("e\($0)".utf8)) }.sorted { $0.precedes($1) }
    }

    static func write(_ keys: [EventKey], to path: String, segments: Int = 1, coverage: UInt32 = 7) throws {
        try keys.withUnsafeBufferPointer { try KeyIndex.write($0, segments: segments, coverage: coverage, to: path) }
    }

    static var options: EventLogWriter.Options {
        var o = EventLogWriter.Options()
        o.segmentBytes = 4 << 10
        o.batchBytes = 1_024
        return o
    }

    /// 600 lines in small segments, written by one writer; a second opening made the index.
    static func indexedLog(in dir: String) throws -> EncodedLines {
        let lines = EventLogContract.projectableLines(Array(0..<600))
        do {
            // Scoped: a writer holds the directory's lock until it is released.
            let log = try FileEventLog(directory: dir, options: options)
            _ = try log.append(lines)
            try log.close()
        }
        try FileEventLog(directory: dir, options: options).close()
        return lines
    }

    static func flip(_ path: String, at offset: Int) throws {
        var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        bytes[offset] ^= 0x10
        try bytes.write(to: URL(fileURLWithPath: path))
    }

    @Test(
        "Lookups agree with a set for keys present and absent, at every size around a block's edge (property)",
        arguments: [0, 1, KeyIndex.keysPerBlock - 1, KeyIndex.keysPerBlock, KeyIndex.keysPerBlock + 1, 5_000])
    func lookupsAgreeWithASet(count: Int) throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/" + KeyIndex.fileName
            let keys = Self.keys(0..<count)
            try Self.write(keys, to: path, segments: 3, coverage: 42)
            let index = try #require(KeyIndex.open(path))
            #expect(index.count == count && index.segments == 3 && index.coverage == 42)
            #expect(try index.allKeys() == keys)
            let absent = Self.keys(count..<(count + 2_000)) + Self.keys(0..<300, source: "pos")
            #expect(try keys.filter { try !index.contains($0) }.isEmpty, "keys it holds are not found")
            #expect(try absent.filter { try index.contains($0) }.isEmpty, "keys it does not hold are found")
        }
    }

    @Test(
        "A flipped bit in a block of keys fails the lookups that read it, not the others; one in the header or the table, or a file cut short, does not open"
    )
    func damageIsFoundWhereItIsRead() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/" + KeyIndex.fileName
            let keys = Self.keys(0..<5_000)
            try Self.write(keys, to: path)
            let whole = try Data(contentsOf: URL(fileURLWithPath: path))
            let entries = KeyIndex.entriesOffset(keys.count)
            // A bit of a middle block's keys: a lookup of a key in it reads it, and fails.
            let damaged = 10 * KeyIndex.keysPerBlock + 7
            try Self.flip(path, at: entries + damaged * 16 + 5)
            let index = try #require(KeyIndex.open(path), "opening reads no keys")
            #expect(throws: LogError.self) { try index.contains(keys[damaged]) }
            #expect(throws: LogError.self) { try index.allKeys() }
            #expect(try index.contains(keys[10]), "a lookup that reads other blocks is answered")
            for offset in [3, 20, KeyIndex.pageSize + 2] {
                try whole.write(to: URL(fileURLWithPath: path))
                try Self.flip(path, at: offset)
                #expect(KeyIndex.open(path) == nil, "a flipped bit at \(offset)")
            }
            try whole.prefix(whole.count - 16).write(to: URL(fileURLWithPath: path))
            #expect(KeyIndex.open(path) == nil, "cut short")
        }
    }

    @Test(
        "A writer opening a log with enough sealed segments makes the index; appends after reopening find every earlier key through it"
    )
    func writersMakeAndUseIt() throws {
        try withTemporaryDirectory { dir in
            let first = EventLogContract.projectableLines(Array(0..<600))
            do {
                let log = try FileEventLog(directory: dir, options: Self.options)
                _ = try log.append(first)
                try log.close()
            }
            let sealed =
                try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".seg") }
                .count - 1
            #expect(sealed >= SealedSegment.indexAfter, "the log must seal enough segments")
            #expect(!FileManager.default.fileExists(atPath: dir + "/" + KeyIndex.fileName))
            let log = try FileEventLog(directory: dir, options: Self.options)
            let index = try #require(KeyIndex.open(dir + "/" + KeyIndex.fileName), "opening made the index")
            #expect(index.segments == sealed)
            let again = try log.append(first)
            #expect(again.appended == 0 && again.duplicates == 600, "every earlier line is a duplicate")
            #expect(try (0..<600).allSatisfy { try log.contains(first.keys[$0]) })
            let next = try log.append(EventLogContract.projectableLines(Array(600..<610)))
            #expect(next.appended == 10)
            #expect(try LogCheck(directory: dir).isClean)
        }
    }

    @Test(
        "A damaged block makes the writer read the segments' own keys: nothing is appended twice; the index is removed, made again, and verify and repair deal with it"
    )
    func damageFallsBackToTheSegments() throws {
        try withTemporaryDirectory { dir in
            let lines = try Self.indexedLog(in: dir)
            let path = dir + "/" + KeyIndex.fileName
            let index = try #require(KeyIndex.open(path))
            let keysStart = KeyIndex.entriesOffset(index.count)
            // Every block damaged: any lookup reads one.
            for block in 0..<KeyIndex.blocks(index.count) {
                try Self.flip(path, at: keysStart + block * KeyIndex.keysPerBlock * 16 + 1)
            }
            let check = try LogCheck(directory: dir)
            #expect(check.problems.map(\.kind) == [.keyIndex] && check.onlySafeRepairs, "\(check.problems)")
            do {
                let log = try FileEventLog(directory: dir, options: Self.options)
                let again = try log.append(lines)
                #expect(again.appended == 0 && again.duplicates == 600)
                #expect(!FileManager.default.fileExists(atPath: path), "the damaged index was removed")
                try log.close()
            }
            try FileEventLog(directory: dir, options: Self.options).close()
            #expect(KeyIndex.open(path) != nil, "and made again by the next opening")
            #expect(try LogCheck(directory: dir).isClean)
            // Verify compares the keys, not only the CRCs: a forged index with the right
            // coverage and one key changed is found, and repair removes it.
            let forged = try #require(KeyIndex.open(path))
            var keys = try forged.allKeys()
            keys[keys.count / 2] = EventKey(high: keys[keys.count / 2].high, low: keys[keys.count / 2].low ^ 1)
            keys.sort { $0.precedes($1) }
            try Self.write(keys, to: path, segments: forged.segments, coverage: forged.coverage)
            let problems = try LogCheck(directory: dir).problems
            #expect(problems.count == 1 && problems.first?.detail.contains("other keys") == true, "\(problems)")
            let repair = try LogRepair(directory: dir, salvage: false, setAside: dir + ".aside")
            #expect(repair.remaining.isEmpty && !FileManager.default.fileExists(atPath: path))
        }
    }

    @Test("An index that no longer covers its segments' keys files is not used, and is made again")
    func staleIndexesAreMadeAgain() throws {
        try withTemporaryDirectory { dir in
            let lines = try Self.indexedLog(in: dir)
            let path = dir + "/" + KeyIndex.fileName
            let made = try #require(KeyIndex.open(path))
            // Other keys under another coverage: a writer that used it would take the log's
            // lines for new ones.
            try Self.write(
                Self.keys(0..<10, source: "pos"), to: path, segments: made.segments, coverage: made.coverage ^ 1)
            #expect(try LogCheck(directory: dir).isClean, "an index a writer ignores is not a problem")
            let log = try FileEventLog(directory: dir, options: Self.options)
            #expect(try log.append(lines).duplicates == 600)
            let remade = try #require(KeyIndex.open(path))
            #expect(remade.coverage == made.coverage && remade.count == made.count)
        }
    }
}
