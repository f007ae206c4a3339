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

    package static func write(_ keys: [EventKey], to path: String) throws {
        let keys = isSorted(keys) ? keys : keys.sorted { $0.precedes($1) }
        var body: [UInt8] = []
        body.reserveCapacity(keys.count * 16)
        for k in keys {
            body.appendLittleEndian(k.high)
            body.appendLittleEndian(k.low)
        }
        var out = magic
        out.appendLittleEndian(UInt64(keys.count))
        out.appendLittleEndian(CRC32C.checksum(body))
        out.appendLittleEndian(UInt32(0))
        out.append(contentsOf: body)
        let temp = path + ".tmp"
        let file = try FileDescriptor(path: temp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try file.write(out, at: 0)
        try file.sync()
        guard rename(temp, path) == 0 else { throw LogError.io("rename", path: path, errno: errno) }
    }

    package static func isSorted(_ keys: [EventKey]) -> Bool {
        var i = 1
        while i < keys.count {
            if keys[i].precedes(keys[i - 1]) { return false }
            i += 1
        }
        return true
    }

    /// The keys, or nil if the file is missing, damaged or does not hold `expectedCount` keys.
    package static func read(from path: String, expectedCount: Int) -> [EventKey]? {
        guard let file = try? FileDescriptor(path: path, flags: O_RDONLY) else { return nil }
        let size = file.size
        guard size == headerSize + expectedCount * 16 else { return nil }
        var bytes = [UInt8](repeating: 0, count: size)
        guard (try? bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }) == size else { return nil }
        return bytes.withUnsafeBytes { b -> [EventKey]? in
            guard Array(b[0..<8]) == magic,
                b.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian == UInt64(expectedCount),
                b.loadUnaligned(fromByteOffset: 16, as: UInt32.self).littleEndian
                    == CRC32C.checksum(UnsafeRawBufferPointer(rebasing: b[headerSize...]))
            else { return nil }
            var keys: [EventKey] = []
            keys.reserveCapacity(expectedCount)
            var o = headerSize
            for _ in 0..<expectedCount {
                keys.append(
                    EventKey(
                        high: b.loadUnaligned(fromByteOffset: o, as: UInt64.self).littleEndian,
                        low: b.loadUnaligned(fromByteOffset: o + 8, as: UInt64.self).littleEndian))
                o += 16
            }
            return keys
        }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
