#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import KithCore

/// A sealed segment's idempotency keys, sorted (`EventKey.precedes`): its `.keys` file mapped
/// read-only, or an array (keys collected from a segment, or merged from several).
///
/// Every ingest opens the log and so reads every sealed segment's keys, 16 bytes an event. Read
/// into arrays, that was a copy of all of them into fresh memory, whose pages the kernel first
/// had to fault in and zero: the part of a 10,000-event increment that grew fastest with the
/// log. Mapped, the file's cached pages are used where they are. `.keys` files are only ever
/// replaced by a rename, never rewritten in place, so a mapping never sees its file shrink.
package final class SealedKeys: @unchecked Sendable {
    // @unchecked: immutable after init; the mapping is read-only and unmapped only by deinit.
    private let mapping: UnsafeMutableRawPointer?
    private let mappedLength: Int
    private let owned: [EventKey]
    package let count: Int

    package init(owning keys: [EventKey]) {
        mapping = nil
        mappedLength = 0
        owned = keys
        count = keys.count
    }

    private init(mapping: UnsafeMutableRawPointer, length: Int, count: Int) {
        self.mapping = mapping
        mappedLength = length
        owned = []
        self.count = count
    }

    deinit { if let mapping { munmap(mapping, mappedLength) } }

    /// Calls `body` with the keys.
    package func withKeys<R>(_ body: (UnsafeBufferPointer<EventKey>) throws -> R) rethrows -> R {
        guard let mapping else { return try owned.withUnsafeBufferPointer(body) }
        let keys = (mapping + KeysFile.headerSize).bindMemory(to: EventKey.self, capacity: count)
        return try body(UnsafeBufferPointer(start: keys, count: count))
    }

    /// The keys of the `.keys` file at `path`, mapped, if it holds `expectedCount` sorted keys
    /// whose CRC-32C checks out; nil otherwise (missing, damaged, another count, or written in
    /// log order by an earlier version: the caller reads, sorts and rewrites it).
    package static func mapping(_ path: String, expectedCount: Int) -> SealedKeys? {
        guard KeysFile.entriesAreInMemoryLayout,
            let file = try? FileDescriptor(path: path, flags: O_RDONLY),
            file.size == KeysFile.headerSize + expectedCount * 16
        else { return nil }
        let length = file.size
        #if canImport(Glibc)
            let flags = MAP_PRIVATE | MAP_POPULATE
        #else
            let flags = MAP_PRIVATE
        #endif
        guard let base = mmap(nil, length, PROT_READ, flags, file.fd, 0), base != MAP_FAILED else { return nil }
        let keys = SealedKeys(mapping: base, length: length, count: expectedCount)
        let header = UnsafeRawBufferPointer(start: base, count: KeysFile.headerSize)
        let storedCount = header.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian
        let storedCRC = header.loadUnaligned(fromByteOffset: 16, as: UInt32.self).littleEndian
        let entries = UnsafeRawBufferPointer(start: base + KeysFile.headerSize, count: expectedCount * 16)
        guard header.prefix(8).elementsEqual(KeysFile.magic), storedCount == UInt64(expectedCount),
            CRC32C.checksum(entries) == storedCRC, keys.withKeys({ KeysFile.isSorted($0) })
        else { return nil }
        return keys
    }
}
