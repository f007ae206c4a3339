import KithCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Walks the batches of one segment file. Pure decisions about what is whole and what is torn,
/// on top of positioned reads.
package struct SegmentScan {
    package struct Result {
        package var batches: [BatchLocation] = []
        /// Offset just past the last whole batch.
        package var validEnd: Int = SegmentName.headerSize
        /// Why scanning stopped before the end of the file, if it did.
        package var problem: String?
        package var fileSize: Int = 0
    }

    package static func readSegmentHeader(_ file: FileDescriptor) throws -> UInt64 {
        var header = [UInt8](repeating: 0, count: SegmentName.headerSize)
        let n = try header.withUnsafeMutableBytes { (b: UnsafeMutableRawBufferPointer) throws in
            try file.read(into: b, at: 0)
        }
        guard n == SegmentName.headerSize, Array(header[0..<8]) == SegmentName.magic else {
            throw LogError(.corrupt, "not a Kith segment (bad file header)", path: file.path, offset: 0)
        }
        return header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian }
    }

    /// Scans batch headers. With `verify`, every payload's CRC is checked and `visit` receives
    /// each decompressed payload; a bad batch ends the scan with `problem` set.
    package static func scan(
        _ file: FileDescriptor, segment: Int, firstPosition: UInt64, verify: Bool,
        visit: ((BatchLocation, UnsafeRawBufferPointer) -> Void)? = nil
    ) throws -> Result {
        var result = Result()
        let size = file.size
        result.fileSize = size
        var offset = SegmentName.headerSize
        var expected = firstPosition
        var headerBytes = [UInt8](repeating: 0, count: BatchHeader.size)
        var payload: [UInt8] = []
        var plain: [UInt8] = []
        while offset < size {
            guard offset + BatchHeader.size <= size else {
                result.problem = "a batch header is cut short (\(size - offset) of \(BatchHeader.size) bytes)"
                break
            }
            _ = try headerBytes.withUnsafeMutableBytes { (b: UnsafeMutableRawBufferPointer) throws in
                try file.read(into: b, at: offset)
            }
            let decoded = headerBytes.withUnsafeBytes { BatchHeader.decode($0) }
            guard case .success(let header) = decoded else {
                result.problem = "no valid batch header (bad magic or lengths)"
                break
            }
            guard header.firstPosition == expected else {
                result.problem = "batch starts at position \(header.firstPosition), expected \(expected)"
                break
            }
            guard offset + header.totalLength <= size else {
                result.problem = "batch payload is cut short (\(size - offset - BatchHeader.size) of \(header.compressedLength) bytes)"
                break
            }
            let location = BatchLocation(segment: segment, offset: offset, header: header)
            if verify {
                if payload.count < Int(header.compressedLength) {
                    payload = [UInt8](repeating: 0, count: Int(header.compressedLength))
                }
                _ = try payload.withUnsafeMutableBytes { (b: UnsafeMutableRawBufferPointer) throws in
                    try file.read(
                        into: UnsafeMutableRawBufferPointer(rebasing: b[0..<Int(header.compressedLength)]),
                        at: offset + BatchHeader.size)
                }
                let crc = payload.withUnsafeBytes { p in
                    headerBytes.withUnsafeBytes { h in
                        CRC32C.checksum(
                            UnsafeRawBufferPointer(rebasing: p[0..<Int(header.compressedLength)]),
                            continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: h[0..<28])))
                    }
                }
                guard crc == header.crc else {
                    result.problem = "CRC mismatch (expected \(hex(header.crc)), found \(hex(crc)))"
                    break
                }
                if plain.count < Int(header.uncompressedLength) {
                    plain = [UInt8](repeating: 0, count: Int(header.uncompressedLength))
                }
                let ok = payload.withUnsafeBytes { p in
                    plain.withUnsafeMutableBytes { d in
                        LZ4Codec.decompress(
                            UnsafeRawBufferPointer(rebasing: p[0..<Int(header.compressedLength)]),
                            into: UnsafeMutableRawBufferPointer(rebasing: d[0..<Int(header.uncompressedLength)]))
                    }
                }
                guard ok else {
                    result.problem = "LZ4 payload does not decompress to \(header.uncompressedLength) bytes"
                    break
                }
                plain.withUnsafeBytes { visit?(location, UnsafeRawBufferPointer(rebasing: $0[0..<Int(header.uncompressedLength)])) }
            }
            result.batches.append(location)
            offset += header.totalLength
            expected += UInt64(header.count)
            result.validEnd = offset
        }
        return result
    }

    /// Splits a decompressed payload into its newline-terminated lines.
    package static func forEachLine(_ payload: UnsafeRawBufferPointer, _ body: (UnsafeBufferPointer<UInt8>) -> Void) {
        guard let base = payload.baseAddress else { return }
        let bytes = payload.bindMemory(to: UInt8.self)
        var start = 0
        let n = payload.count
        while start < n, let hit = memchr(base + start, 0x0A, n - start) {
            let end = base.distance(to: UnsafeRawPointer(hit))
            body(UnsafeBufferPointer(rebasing: bytes[start..<end]))
            start = end + 1
        }
    }
}

package func hex(_ v: UInt32) -> String {
    let s = String(v, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: 8 - s.count) + s
}
