import KithCore

/// The sidecar `NNN.keys` of a sealed segment: the idempotency keys of its records, so opening a
/// large log does not decompress it. Derived data: when missing or damaged, it is rebuilt.
///
/// Layout: magic `KITHKEY1`, record count (u64), CRC-32C of the entries (u32), 4 spare bytes,
/// then 16 bytes per record (high, low; little-endian), sorted by key (`EventKey.precedes`)
/// so a writer can binary-search them. (Files written before 2026-11-23 are in log order;
/// opening a writer sorts and rewrites them once.)
package enum KeysFile {
    static let magic = Array("KITHKEY1".utf8)
    static let headerSize = 24

    /// Written beside and renamed over, so a reader finds the old file or the new one. The
    /// directory is not synced: a keys file lost in a power loss is rebuilt from its segment.
    package static func write(_ keys: [EventKey], to path: String, disk: Disk = .real) throws {
        let keys = isSorted(keys) ? keys : keys.sorted { $0.precedes($1) }
        let body = entries(of: keys)
        var out = magic
        out.appendLittleEndian(UInt64(keys.count))
        out.appendLittleEndian(CRC32C.checksum(body))
        out.appendLittleEndian(UInt32(0))
        out.append(contentsOf: body)
        let temp = path + ".tmp"
        let file = try disk.open(temp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try file.write(out, at: 0)
        try file.sync()
        try disk.rename(temp, to: path)
    }

    /// Keys as a keys file lays them out: 16 bytes each (high, low; little-endian), in order.
    static func entries(of keys: [EventKey]) -> [UInt8] {
        var body: [UInt8] = []
        body.reserveCapacity(keys.count * 16)
        for k in keys {
            body.appendLittleEndian(k.high)
            body.appendLittleEndian(k.low)
        }
        return body
    }

    package static func isSorted(_ keys: [EventKey]) -> Bool {
        keys.withUnsafeBufferPointer(isSorted)
    }

    package static func isSorted(_ keys: UnsafeBufferPointer<EventKey>) -> Bool {
        var i = 1
        while i < keys.count {
            if keys[i].precedes(keys[i - 1]) { return false }
            i += 1
        }
        return true
    }

    /// The keys, or nil if the file is missing, damaged or does not hold `expectedCount` keys.
    ///
    /// Every writer opening reads every sealed segment's file, so the entries are read straight
    /// into the keys' own storage (their in-memory layout is the file's on little-endian CPUs)
    /// rather than through a byte buffer and a copy.
    package static func read(from path: String, expectedCount: Int) -> [EventKey]? {
        guard let file = try? FileDescriptor(path: path, flags: O_RDONLY),
            file.size == headerSize + expectedCount * 16
        else { return nil }
        guard let (count, storedCRC) = header(of: file), count == UInt64(expectedCount) else { return nil }
        var intact = false
        let keys = [EventKey](unsafeUninitializedCapacity: expectedCount) { buffer, initialized in
            let raw = UnsafeMutableRawBufferPointer(buffer)
            initialized = 0
            guard (try? file.read(into: raw, at: headerSize)) == raw.count,
                CRC32C.checksum(UnsafeRawBufferPointer(raw)) == storedCRC
            else { return }
            if !entriesAreInMemoryLayout {
                for i in 0..<expectedCount {
                    let high = raw.loadUnaligned(fromByteOffset: i * 16, as: UInt64.self).littleEndian
                    let low = raw.loadUnaligned(fromByteOffset: i * 16 + 8, as: UInt64.self).littleEndian
                    buffer[i] = EventKey(high: high, low: low)
                }
            }
            initialized = expectedCount
            intact = true
        }
        return intact ? keys : nil
    }

    /// The CRC-32C the header of the `.keys` file at `path` records for its entries (nil: no
    /// such file, or not a keys file). Only the header is read: what the key index compares
    /// to tell whether it still covers a segment's keys.
    package static func storedCRC(at path: String) -> UInt32? {
        (try? FileDescriptor(path: path, flags: O_RDONLY)).flatMap(header(of:))?.crc
    }

    /// The count and entries' CRC-32C a keys file's header records (nil: not a keys file).
    private static func header(of file: FileDescriptor) -> (count: UInt64, crc: UInt32)? {
        var header = [UInt8](repeating: 0, count: headerSize)
        guard (try? header.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }) == headerSize,
            header.prefix(8).elementsEqual(magic)
        else { return nil }
        return header.withUnsafeBytes {
            (
                $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian,
                $0.loadUnaligned(fromByteOffset: 16, as: UInt32.self).littleEndian
            )
        }
    }

    /// Whether an `EventKey` in memory is its 16 file bytes (high, then low, little-endian).
    static let entriesAreInMemoryLayout: Bool = {
        #if _endian(little)
            return MemoryLayout<EventKey>.size == 16 && MemoryLayout<EventKey>.stride == 16
                && MemoryLayout<EventKey>.offset(of: \.high) == 0 && MemoryLayout<EventKey>.offset(of: \.low) == 8
        #else
            return false
        #endif
    }()
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
