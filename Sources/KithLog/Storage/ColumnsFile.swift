import Foundation
import KithCore

/// The sidecar `NNN.cols` of a segment: its records as `ProjectionColumns`, so a rebuild or a
/// replay reads them without parsing JSON. Derived data, like `.keys`: written by the first
/// projection that reads the whole segment, ignored when missing, damaged or stale, and
/// rewritten then; `kith log verify` compares it with the lines, `kith log repair` removes a bad
/// one. Erasure rewrites segments by copy, which leaves every `.cols` stale, so none outlives it.
///
/// A file covers the segment's first `batches` batches. It is stale unless those batches are
/// the ones it was made from: the digest of their positions, counts and CRCs must match. So an
/// active segment's file stays good for the prefix it covers as the segment grows.
///
/// Layout: magic `KITHCOL1`, first position (u64), positions (u64), batches covered (u32),
/// their digest (u32), the columns' length (u64), the LZ4 block's length (u64), the block's
/// CRC-32C (u32), 4 spare bytes; then the LZ4 block of `ProjectionColumns.encoded()`.
package enum ColumnsFile {
    static let magic = Array("KITHCOL1".utf8)
    static let headerSize = 56
    package static let fileExtension = "cols"

    /// The `.cols` file beside a segment file.
    package static func path(of segmentPath: String) -> String {
        String(segmentPath.dropLast(SegmentName.segmentExtension.count)) + fileExtension
    }

    /// What ties a file to the batches it was made from.
    package static func digest(_ batches: ArraySlice<BatchLocation>) -> UInt32 {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(batches.count * 16)
        for b in batches {
            bytes.appendLittleEndian(b.header.firstPosition)
            bytes.appendLittleEndian(b.header.count)
            bytes.appendLittleEndian(b.header.crc)
        }
        return CRC32C.checksum(bytes)
    }

    /// Written beside and renamed over, so a reader finds the old file or the new one. Not
    /// synced: a file torn by a power loss fails its CRC and is made again.
    package static func write(_ columns: ProjectionColumns, batches: ArraySlice<BatchLocation>, to path: String) throws
    {
        let body = columns.encoded()
        var codec = LZ4Codec()
        var out = magic
        body.withUnsafeBytes { raw in
            let block = codec.compress(raw)
            out.appendLittleEndian(columns.firstPosition)
            out.appendLittleEndian(UInt64(columns.count))
            out.appendLittleEndian(UInt32(batches.count))
            out.appendLittleEndian(digest(batches))
            out.appendLittleEndian(UInt64(body.count))
            out.appendLittleEndian(UInt64(block.count))
            out.appendLittleEndian(CRC32C.checksum(block))
            out.appendLittleEndian(UInt32(0))
            out.append(contentsOf: block)
        }
        let temp = path + ".\(getpid()).tmp"
        let file = try Disk.real.open(temp, flags: O_WRONLY | O_CREAT | O_TRUNC)
        do {
            try file.write(out, at: 0)
            try Disk.real.rename(temp, to: path)
        } catch {
            try? Disk.real.removeFile(temp)
            throw error
        }
    }

    /// How many batches the file at `path` says it covers; nil when there is no such file, 0
    /// when it has no header to say (`read` then reports why).
    package static func coveredBatches(at path: String) -> Int? {
        guard let header = header(at: path) else { return nil }
        return header.isEmpty ? 0 : Int(load(header, 24, UInt32.self))
    }

    /// One past the last position the file at `path` says it covers, read from its header alone
    /// (so a read that starts past it need not open the columns); nil without a whole header.
    package static func coveredEnd(at path: String) -> UInt64? {
        guard let header = header(at: path), !header.isEmpty else { return nil }
        return load(header, 8, UInt64.self) &+ load(header, 16, UInt64.self)
    }

    /// The positions the file at `path` covers and its size, if its header matches the segment's
    /// batches (the header only: `read` and `kith log verify` check the rest); nil otherwise.
    package static func coverage(
        at path: String, firstPosition: UInt64, batches: ArraySlice<BatchLocation>
    ) -> (positions: Int, bytes: Int)? {
        guard let file = try? FileDescriptor(path: path, flags: O_RDONLY), file.size >= headerSize else { return nil }
        var header = [UInt8](repeating: 0, count: headerSize)
        guard (try? header.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }) == headerSize,
            Array(header[0..<8]) == magic, load(header, 8, UInt64.self) == firstPosition
        else { return nil }
        let covered = Int(load(header, 24, UInt32.self))
        let count = load(header, 16, UInt64.self)
        guard covered <= batches.count, digest(batches.prefix(covered)) == load(header, 28, UInt32.self),
            count == batches.prefix(covered).reduce(0, { $0 + UInt64($1.header.count) })
        else { return nil }
        return (Int(count), file.size)
    }

    /// The header's bytes; empty when the file is shorter, nil when there is no file.
    private static func header(at path: String) -> [UInt8]? {
        guard let file = try? FileDescriptor(path: path, flags: O_RDONLY) else { return nil }
        var header = [UInt8](repeating: 0, count: headerSize)
        guard (try? header.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }) == headerSize else { return [] }
        return header
    }

    private static func load<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, _: T.Type) -> T {
        bytes.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }

    /// A file's columns and the number of batches they cover, or why it cannot be used.
    package enum Reading {
        case missing
        case unusable(String)
        case columns(ProjectionColumns, batches: Int)
    }

    /// Reads the file at `path` for the segment whose batches are `batches` (all of them, in
    /// order, starting at `firstPosition`).
    package static func read(
        from path: String, firstPosition: UInt64, batches: ArraySlice<BatchLocation>
    ) -> Reading {
        guard let file = try? FileDescriptor(path: path, flags: O_RDONLY) else { return .missing }
        let size = file.size
        guard size >= headerSize else { return .unusable("shorter than its header (\(size) bytes)") }
        var bytes = [UInt8](repeating: 0, count: size)
        guard (try? bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }) == size else {
            return .unusable("cannot be read")
        }
        return bytes.withUnsafeBytes { raw -> Reading in
            guard Array(raw[0..<8]) == magic else { return .unusable("not a columns file") }
            func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
            }
            let first = load(8, UInt64.self)
            let count = load(16, UInt64.self)
            let covered = Int(load(24, UInt32.self))
            let storedDigest = load(28, UInt32.self)
            let length = load(32, UInt64.self)
            let blockLength = load(40, UInt64.self)
            let crc = load(48, UInt32.self)
            guard first == firstPosition else {
                return .unusable("starts at position \(first), its segment at \(firstPosition)")
            }
            guard covered <= batches.count,
                digest(batches.prefix(covered)) == storedDigest,
                count == batches.prefix(covered).reduce(0, { $0 + UInt64($1.header.count) })
            else { return .unusable("stale: made from other batches than its segment holds") }
            guard blockLength == UInt64(size - headerSize), length <= UInt64(Int32.max) else {
                return .unusable("lengths disagree with the file's size")
            }
            let block = UnsafeRawBufferPointer(rebasing: raw[headerSize...])
            guard CRC32C.checksum(block) == crc else { return .unusable("CRC mismatch") }
            var body = [UInt8](repeating: 0, count: Int(length))
            let inflated = body.withUnsafeMutableBytes { LZ4Codec.decompress(block, into: $0) }
            guard inflated else { return .unusable("its LZ4 block does not decompress") }
            do {
                let columns = try body.withUnsafeBytes { try ProjectionColumns(decoding: $0, firstPosition: first) }
                guard columns.count == Int(count) else {
                    return .unusable("holds \(columns.count) positions, its header says \(count)")
                }
                return .columns(columns, batches: covered)
            } catch {
                return .unusable("\(error)")
            }
        }
    }
}
