import Foundation
import KithCore

/// The sidecar `NNN.activekeys` of the active segment: the idempotency keys of its first
/// batches, in log order, written when a writer closes. The next writer reads them instead of
/// decompressing those batches and working out every line's key again: an active segment holds
/// up to ~420,000 events, about 50 ms of a 0.45 s increment of 10,000 events.
///
/// Derived data, like `.keys` and `.cols`: not synced, and used only when it matches. It covers
/// the segment's first `batches` batches, and is stale unless those are the batches it was made
/// from (the digest of their positions, counts and CRCs, as `ColumnsFile` ties a file to its
/// batches). A segment that grew after it was written is still covered for its prefix; one cut
/// or rewritten is not, and is read whole as before.
///
/// Layout: magic `KITHKEYA`, batches covered (u32), their digest (u32), record count (u64),
/// CRC-32C of the entries (u32), 4 spare bytes; then 16 bytes per record (high, low;
/// little-endian), in log order.
package enum ActiveKeysFile {
    static let magic = Array("KITHKEYA".utf8)
    static let headerSize = 32
    package static let fileExtension = "activekeys"

    /// The file beside a segment file.
    package static func path(of segmentPath: String) -> String {
        SegmentName.sidecarPath(of: segmentPath, extension: fileExtension)
    }

    /// What a file holds, once checked against the batches it claims.
    package struct Saved {
        /// How many of the segment's first batches the keys are of.
        package var batches: Int
        package var digest: UInt32
        package var keys: [EventKey]
    }

    /// Written beside and renamed over, so a reader finds the old file or the new one.
    package static func write(
        _ keys: [EventKey], of batches: ArraySlice<BatchLocation>, to path: String, disk: Disk = .real
    ) throws {
        let body = KeysFile.entries(of: keys)
        var out = magic
        out.appendLittleEndian(UInt32(batches.count))
        out.appendLittleEndian(ColumnsFile.digest(batches))
        out.appendLittleEndian(UInt64(keys.count))
        out.appendLittleEndian(CRC32C.checksum(body))
        out.appendLittleEndian(UInt32(0))
        out.append(contentsOf: body)
        let temp = path + ".tmp"
        let file = try disk.open(temp, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
        try file.write(out, at: 0)
        try disk.rename(temp, to: path)
    }

    /// What the file at `path` holds, or nil if it is missing, not such a file, or damaged.
    /// Whether it matches its segment is for the caller to check (`matches`).
    package static func read(from path: String) -> Saved? {
        guard let file = try? FileDescriptor(path: path, flags: O_RDONLY), file.size >= headerSize else { return nil }
        var bytes = [UInt8](repeating: 0, count: file.size)
        guard (try? bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }) == bytes.count,
            bytes.prefix(8).elementsEqual(magic)
        else { return nil }
        return bytes.withUnsafeBytes { raw -> Saved? in
            let batches = raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self).littleEndian
            let digest = raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self).littleEndian
            let count = raw.loadUnaligned(fromByteOffset: 16, as: UInt64.self).littleEndian
            let crc = raw.loadUnaligned(fromByteOffset: 24, as: UInt32.self).littleEndian
            let entries = UnsafeRawBufferPointer(rebasing: raw[headerSize...])
            guard count <= UInt64(entries.count / 16), entries.count == Int(count) * 16,
                CRC32C.checksum(entries) == crc
            else { return nil }
            var keys: [EventKey] = []
            keys.reserveCapacity(Int(count))
            for i in 0..<Int(count) {
                keys.append(
                    EventKey(
                        high: entries.loadUnaligned(fromByteOffset: i * 16, as: UInt64.self).littleEndian,
                        low: entries.loadUnaligned(fromByteOffset: i * 16 + 8, as: UInt64.self).littleEndian))
            }
            return Saved(batches: Int(batches), digest: digest, keys: keys)
        }
    }

    /// Whether `saved` was made from the first of `batches` (a segment's, as a scan found them).
    package static func matches(_ saved: Saved, _ batches: [BatchLocation]) -> Bool {
        guard saved.batches <= batches.count else { return false }
        let covered = batches.prefix(saved.batches)
        return ColumnsFile.digest(covered) == saved.digest
            && covered.reduce(0) { $0 + Int($1.header.count) } == saved.keys.count
    }
}
