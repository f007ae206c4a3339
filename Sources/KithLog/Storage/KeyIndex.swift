#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import KithCore

/// `keys.index`: the idempotency keys of the log's first sealed segments merged into one sorted
/// array, so checking an append's keys costs the same however long the log is.
///
/// Per-segment `.keys` files made every ingest map and check every sealed segment's keys and
/// search each of them for every new key: at 7 million events, 18 segments, that was 45 ms of a
/// 10,000-event increment, and growing. Here a key is found in one array by interpolation
/// (keys are uniform hashes, so a probe lands within a few entries), and only the blocks a
/// lookup reads are checked: each block of 64 keys (1 KiB) has its own CRC-32C, checked the
/// first time it is read. Opening checks the header and the table of block CRCs, not the keys.
/// (Blocks of 4 KiB made 10,000 lookups check 40 MB: 17 ms at 7 million keys.)
///
/// Derived, like the `.keys` files it merges: `coverage` says which segments' keys it holds (the
/// first `segments` sealed segments, each by first position, count and its `.keys` CRC), so an
/// index that no longer matches them (a segment rewritten, a `.keys` rebuilt) is not used, and is
/// made again. A damaged block found by a lookup is an error the caller recovers from by reading
/// the segments' own keys.
///
/// Layout, little-endian: a 4 KiB header page (magic `KITHKIX1`, key count u64, segments u32,
/// coverage u32, keys per block u32, CRC of the block table u32, CRC of the 32 bytes before it
/// u32); the block table (one CRC-32C per block), padded to a page; then the keys, 16 bytes each
/// (high, low), sorted (`EventKey.precedes`).
package final class KeyIndex: @unchecked Sendable {
    // @unchecked: the mapping is read-only; `verified` is only touched by the log's writer,
    // which holds its lock.
    static let magic = Array("KITHKIX1".utf8)
    static let fileName = "keys.index"
    static let pageSize = 4096
    static let keysPerBlock = 64

    /// How many keys it holds.
    package let count: Int
    /// How many sealed segments, from the first, its keys are.
    package let segments: Int
    /// The digest of those segments' first positions, counts and `.keys` CRCs (`coverage(of:)`).
    package let coverage: UInt32
    package let path: String
    private let mapping: UnsafeMutableRawPointer
    private let length: Int
    private let blockCRCs: UnsafePointer<UInt32>
    private let keys: UnsafePointer<EventKey>
    /// One bit per block: its CRC has been checked.
    private var verified: [UInt64]

    private init(
        path: String, mapping: UnsafeMutableRawPointer, length: Int, count: Int, segments: Int, coverage: UInt32
    ) {
        self.path = path
        self.mapping = mapping
        self.length = length
        self.count = count
        self.segments = segments
        self.coverage = coverage
        let blocks = Self.blocks(count)
        blockCRCs = UnsafePointer((mapping + Self.pageSize).bindMemory(to: UInt32.self, capacity: blocks))
        keys = UnsafePointer(
            (mapping + Self.entriesOffset(count)).bindMemory(to: EventKey.self, capacity: count))
        verified = [UInt64](repeating: 0, count: (blocks + 63) / 64)
    }

    deinit { munmap(mapping, length) }

    /// A segment's part in the coverage digest.
    package struct Covered: Equatable {
        package var firstPosition: UInt64
        package var count: Int
        /// The CRC-32C its `.keys` file's header records for its entries.
        package var keysCRC: UInt32
    }

    package static func coverage(of segments: [Covered]) -> UInt32 {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(segments.count * 20)
        for s in segments {
            bytes.appendLittleEndian(s.firstPosition)
            bytes.appendLittleEndian(UInt64(s.count))
            bytes.appendLittleEndian(s.keysCRC)
        }
        return CRC32C.checksum(bytes)
    }

    /// Whether it was made from these segments' `.keys` files as they are now: the log's sealed
    /// segments from the first, each by its part in the coverage (nil where its `.keys` header
    /// could not be read). A writer uses only an index that covers them, and verify checks only
    /// such an index (another is made again by the next writer).
    package func covers(_ sealed: some Collection<Covered?>) -> Bool {
        let covered = sealed.prefix(segments)
        return covered.count == segments && covered.allSatisfy { $0 != nil }
            && Self.coverage(of: covered.compactMap { $0 }) == coverage
    }

    static func blocks(_ count: Int) -> Int { (count + keysPerBlock - 1) / keysPerBlock }

    static func entriesOffset(_ count: Int) -> Int {
        pageSize + (blocks(count) * 4 + pageSize - 1) / pageSize * pageSize
    }

    /// The index at `path`, mapped, if its header and block table are whole; nil otherwise
    /// (missing, damaged, cut short, or written on a CPU whose keys are laid out otherwise).
    package static func open(_ path: String) -> KeyIndex? {
        guard KeysFile.entriesAreInMemoryLayout, let file = try? FileDescriptor(path: path, flags: O_RDONLY),
            file.size >= pageSize
        else { return nil }
        let length = file.size
        guard let base = mmap(nil, length, PROT_READ, MAP_PRIVATE, file.fd, 0), base != MAP_FAILED else { return nil }
        let header = UnsafeRawBufferPointer(start: base, count: pageSize)
        func field<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
            T(littleEndian: header.loadUnaligned(fromByteOffset: offset, as: T.self))
        }
        let count = Int(clamping: field(8, UInt64.self))
        guard header.prefix(8).elementsEqual(magic),
            CRC32C.checksum(UnsafeRawBufferPointer(rebasing: header[0..<32])) == field(32, UInt32.self),
            field(24, UInt32.self) == UInt32(keysPerBlock), count < Int.max / 32,
            length == entriesOffset(count) + count * 16,
            CRC32C.checksum(UnsafeRawBufferPointer(start: base + pageSize, count: blocks(count) * 4))
                == field(28, UInt32.self)
        else {
            munmap(base, length)
            return nil
        }
        return KeyIndex(
            path: path, mapping: base, length: length, count: count, segments: Int(field(16, UInt32.self)),
            coverage: field(20, UInt32.self))
    }

    /// Writes `keys` (sorted) as the index of the first `segments` sealed segments, beside and
    /// renamed over `path`: a reader finds the old index or the new one.
    package static func write(
        _ keys: UnsafeBufferPointer<EventKey>, segments: Int, coverage: UInt32, to path: String, disk: Disk = .real
    ) throws {
        guard KeysFile.entriesAreInMemoryLayout, KeysFile.isSorted(keys) else {
            throw LogError(.io, "the key index can only be written from sorted keys on a little-endian CPU", path: path)
        }
        let blocks = blocks(keys.count)
        var table = [UInt8]()
        table.reserveCapacity(entriesOffset(keys.count) - pageSize)
        let raw = UnsafeRawBufferPointer(keys)
        for b in 0..<blocks {
            let start = b * keysPerBlock * 16
            let end = min(raw.count, start + keysPerBlock * 16)
            table.appendLittleEndian(CRC32C.checksum(UnsafeRawBufferPointer(rebasing: raw[start..<end])))
        }
        let tableCRC = CRC32C.checksum(table)
        table.append(contentsOf: repeatElement(0, count: entriesOffset(keys.count) - pageSize - table.count))
        var header = magic
        header.appendLittleEndian(UInt64(keys.count))
        header.appendLittleEndian(UInt32(segments))
        header.appendLittleEndian(coverage)
        header.appendLittleEndian(UInt32(keysPerBlock))
        header.appendLittleEndian(tableCRC)
        header.appendLittleEndian(CRC32C.checksum(header))
        header.append(contentsOf: repeatElement(0, count: pageSize - header.count))
        let temp = path + ".tmp"
        let file = try disk.open(temp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try file.write(header + table, at: 0)
        if !raw.isEmpty { try file.write(raw, at: entriesOffset(keys.count)) }
        try file.sync()
        try disk.rename(temp, to: path)
    }

    /// Whether the index holds `key`. Throws if a block the search reads fails its CRC.
    package func contains(_ key: EventKey) throws -> Bool {
        // Every entry before `low` precedes the key; none from `high` on does. Probes placed
        // by interpolation, each followed by a bisection if it failed to halve the range (as
        // `IdempotencyKeys.search`).
        var low = 0
        var high = count
        var bisect = false
        while low < high {
            let width = high - low
            var probe = low + width / 2
            if !bisect, width > 2 {
                let first = try entry(low).high
                let last = try entry(high - 1).high
                if first < key.high && key.high < last {
                    let fraction = Double(key.high - first) / Double(last - first)
                    probe = low + min(width - 1, max(0, Int(fraction * Double(width - 1))))
                }
            }
            if try entry(probe).precedes(key) { low = probe + 1 } else { high = probe }
            bisect = !bisect && (high - low) * 2 > width
        }
        return try low < count && entry(low) == key
    }

    /// Every key, in order, each block checked.
    package func allKeys() throws -> [EventKey] {
        for b in 0..<Self.blocks(count) { try check(block: b) }
        return Array(UnsafeBufferPointer(start: keys, count: count))
    }

    @inline(__always) private func entry(_ i: Int) throws -> EventKey {
        let block = i / Self.keysPerBlock
        if verified[block >> 6] & (1 << UInt64(block & 63)) == 0 { try check(block: block) }
        return keys[i]
    }

    private func check(block: Int) throws {
        if verified[block >> 6] & (1 << UInt64(block & 63)) != 0 { return }
        let start = block * Self.keysPerBlock
        let n = min(count - start, Self.keysPerBlock)
        let bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(keys + start), count: n * 16)
        guard CRC32C.checksum(bytes) == UInt32(littleEndian: blockCRCs[block]) else {
            throw LogError(
                .corrupt, "block \(block) of the key index fails its CRC", path: path,
                offset: Self.entriesOffset(count) + start * 16)
        }
        verified[block >> 6] |= 1 << UInt64(block & 63)
    }
}
