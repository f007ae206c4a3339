import Foundation
import KithCore
import Testing

@testable import KithLog

@Suite("Sealed keys mapped from their .keys files")
struct SealedKeysTests {
    static func keys(_ n: Int) -> [EventKey] {
        (0..<n).map { EventKey(source: Array("app".utf8), eventID: Array("e\($0)".utf8)) }.sorted { $0.precedes($1) }
    }

    @Test("A whole, sorted file maps to exactly its keys; searches in the mapping agree with the array")
    func mapsWholeFiles() throws {
        try withTemporaryDirectory { dir in
            let path = dir + "/0.keys"
            let keys = Self.keys(5_000)
            try KeysFile.write(keys, to: path)
            let mapped = try #require(SealedKeys.mapping(path, expectedCount: keys.count))
            #expect(mapped.count == keys.count)
            #expect(mapped.withKeys(Array.init) == keys)
            var index = IdempotencyKeys(sealed: [mapped], active: [])
            let others = (0..<500).map { EventKey(source: Array("pos".utf8), eventID: Array("x\($0)".utf8)) }
            let probe = Array(keys.prefix(300)) + others
            #expect(
                try index.insert(contentsOf: probe) == Array(repeating: false, count: 300)
                    + Array(repeating: true, count: 500))
            #expect(try keys.suffix(200).allSatisfy { try index.contains($0) })
        }
    }

    @Test("Damaged, cut, miscounted or unsorted files do not map (opening then reads or rebuilds them)")
    func refusesWhatDoesNotCheckOut() throws {
        try withTemporaryDirectory { dir in
            let keys = Self.keys(1_000)
            let path = dir + "/0.keys"
            try KeysFile.write(keys, to: path)
            #expect(SealedKeys.mapping(path, expectedCount: 999) == nil, "another count")
            #expect(SealedKeys.mapping(dir + "/missing.keys", expectedCount: 1_000) == nil)
            var bytes = try Data(contentsOf: URL(fileURLWithPath: path))
            bytes[bytes.count - 7] ^= 0x01
            try bytes.write(to: URL(fileURLWithPath: path))
            #expect(SealedKeys.mapping(path, expectedCount: 1_000) == nil, "a flipped bit fails the CRC")
            try bytes.prefix(500).write(to: URL(fileURLWithPath: path))
            #expect(SealedKeys.mapping(path, expectedCount: 1_000) == nil, "cut short")
            // Log order, as files were written before 2026-11-23: whole, but not searchable.
            var unsorted = KeysFile.magic
            var body: [UInt8] = []
            for k in keys.reversed() {
                withUnsafeBytes(of: k.high.littleEndian) { body.append(contentsOf: $0) }
                withUnsafeBytes(of: k.low.littleEndian) { body.append(contentsOf: $0) }
            }
            withUnsafeBytes(of: UInt64(keys.count).littleEndian) { unsorted.append(contentsOf: $0) }
            withUnsafeBytes(of: CRC32C.checksum(body).littleEndian) { unsorted.append(contentsOf: $0) }
            unsorted += [0, 0, 0, 0] + body
            try Data(unsorted).write(to: URL(fileURLWithPath: path))
            #expect(KeysFile.read(from: path, expectedCount: 1_000) != nil, "the file itself is whole")
            #expect(SealedKeys.mapping(path, expectedCount: 1_000) == nil, "but not in key order")
        }
    }
}
