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
    /// each decompressed payload from batch `firstVisited` on (the ones before are not
    /// decompressed: a caller that already holds what it needs of them); a bad batch ends the
    /// scan with `problem` set.
    package static func scan(
        _ file: FileDescriptor, segment: Int, firstPosition: UInt64, verify: Bool, visitingFrom firstVisited: Int = 0,
        visit: ((BatchLocation, UnsafeRawBufferPointer) -> Void)? = nil
    ) throws -> Result {
        var result = Result()
        var walker = BatchWalker(file: file)
        result.fileSize = walker.size
        var offset = SegmentName.headerSize
        var expected = firstPosition
        while offset < walker.size {
            let visiting = verify && result.batches.count >= firstVisited
            switch try walker.read(at: offset, expecting: expected, verify: verify, decompress: visiting) {
            case .bad(let problem, _):
                result.problem = problem
                return result
            case .whole(let header, let payload):
                let location = BatchLocation(segment: segment, offset: offset, header: header)
                if visiting { visit?(location, payload) }
                result.batches.append(location)
                offset += header.totalLength
                expected += UInt64(header.count)
                result.validEnd = offset
            }
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
