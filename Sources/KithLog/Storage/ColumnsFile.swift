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
        SegmentName.sidecarPath(of: segmentPath, extension: fileExtension)
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

    /// A file's header, as read from its first `headerSize` bytes.
    struct Header {
        var firstPosition: UInt64
        var count: UInt64
        var coveredBatches: Int
        var digest: UInt32
        var length: UInt64
        var blockLength: UInt64
        var crc: UInt32

        init?(_ raw: UnsafeRawBufferPointer) {
            guard raw.count >= ColumnsFile.headerSize, raw.prefix(8).elementsEqual(ColumnsFile.magic) else {
                return nil
            }
            func load<T: FixedWidthInteger>(_ offset: Int, _: T.Type) -> T {
                T(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: T.self))
            }
            firstPosition = load(8, UInt64.self)
            count = load(16, UInt64.self)
            coveredBatches = Int(load(24, UInt32.self))
            digest = load(28, UInt32.self)
            length = load(32, UInt64.self)
            blockLength = load(40, UInt64.self)
            crc = load(48, UInt32.self)
        }

        /// One past the last position covered.
        var endPosition: UInt64 { firstPosition &+ count }

        /// Why the file cannot stand for the first batches of the segment whose batches are
        /// `batches` and which starts at `first`; nil when it can.
        func mismatch(firstPosition first: UInt64, batches: ArraySlice<BatchLocation>) -> String? {
            guard firstPosition == first else { return "starts at position \(firstPosition), its segment at \(first)" }
            guard coveredBatches <= batches.count, ColumnsFile.digest(batches.prefix(coveredBatches)) == digest,
                count == batches.prefix(coveredBatches).reduce(0, { $0 + UInt64($1.header.count) })
            else { return "stale: made from other batches than its segment holds" }
            return nil
        }
    }

    /// The header of the file at `path`: nil when there is no such file, `.none` inside when it
    /// is too short or not a columns file (`read` then says why).
    private static func header(at path: String) -> Header?? {
        guard let file = try? FileDescriptor(path: path, flags: O_RDONLY) else { return nil }
        var bytes = [UInt8](repeating: 0, count: headerSize)
        guard (try? bytes.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }) == headerSize else {
            return .some(nil)
        }
        return .some(bytes.withUnsafeBytes { Header($0) })
    }

    /// How many batches the file at `path` says it covers; nil when there is no such file, 0
    /// when it has no header to say (`read` then reports why).
    package static func coveredBatches(at path: String) -> Int? {
        header(at: path).map { $0?.coveredBatches ?? 0 }
    }

    /// One past the last position the file at `path` says it covers, read from its header alone
    /// (so a read that starts past it need not open the columns); nil without a whole header.
    package static func coveredEnd(at path: String) -> UInt64? {
        header(at: path)??.endPosition
    }

    /// The positions the file at `path` covers and its size (as its header gives it), if its
    /// header matches the segment's batches (the header only: `read` and `kith log verify`
    /// check the rest); nil otherwise.
    package static func coverage(
        at path: String, firstPosition: UInt64, batches: ArraySlice<BatchLocation>
    ) -> (positions: Int, bytes: Int)? {
        guard let header = header(at: path) ?? nil,
            header.mismatch(firstPosition: firstPosition, batches: batches) == nil
        else { return nil }
        return (Int(header.count), headerSize + Int(clamping: header.blockLength))
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
            guard let header = Header(raw) else { return .unusable("not a columns file") }
            if let mismatch = header.mismatch(firstPosition: firstPosition, batches: batches) {
                return .unusable(mismatch)
            }
            guard header.blockLength == UInt64(size - headerSize), header.length <= UInt64(Int32.max) else {
                return .unusable("lengths disagree with the file's size")
            }
            let block = UnsafeRawBufferPointer(rebasing: raw[headerSize...])
            guard CRC32C.checksum(block) == header.crc else { return .unusable("CRC mismatch") }
            var body = [UInt8](repeating: 0, count: Int(header.length))
            let inflated = body.withUnsafeMutableBytes { LZ4Codec.decompress(block, into: $0) }
            guard inflated else { return .unusable("its LZ4 block does not decompress") }
            do {
                let columns = try body.withUnsafeBytes {
                    try ProjectionColumns(decoding: $0, firstPosition: header.firstPosition)
                }
                guard columns.count == Int(header.count) else {
                    return .unusable("holds \(columns.count) positions, its header says \(header.count)")
                }
                return .columns(columns, batches: header.coveredBatches)
            } catch {
                return .unusable("\(error)")
            }
        }
    }
}
