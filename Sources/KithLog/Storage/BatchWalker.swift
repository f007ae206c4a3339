import KithCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Reads one batch at a time from a segment file and judges it whole or bad, with reused
/// buffers. Used where the log must be read past damage (verification, salvage, deciding
/// whether a bad tail is torn).
struct BatchWalker {
    enum Outcome {
        /// The header, CRC and decompression all check out; the payload is valid until the next read.
        case whole(BatchHeader, UnsafeRawBufferPointer)
        /// Why the batch at this offset is not whole; the header when it at least decoded.
        case bad(String, BatchHeader?)
    }

    let file: FileDescriptor
    let size: Int
    private var header = [UInt8](repeating: 0, count: BatchHeader.size)
    private var payload: [UInt8] = []
    private var plain: [UInt8] = []

    init(file: FileDescriptor) {
        self.file = file
        size = file.size
    }

    /// Judges the batch at `offset`. Without `verify` only the header and lengths are checked
    /// and the payload is empty. I/O errors are thrown, never mistaken for damage.
    mutating func read(at offset: Int, expecting position: UInt64?, verify: Bool = true, decompress: Bool = true) throws
        -> Outcome
    {
        guard offset + BatchHeader.size <= size else {
            return .bad("a batch header is cut short (\(size - offset) of \(BatchHeader.size) bytes)", nil)
        }
        _ = try header.withUnsafeMutableBytes { try file.read(into: $0, at: offset) }
        guard case .success(let decoded) = header.withUnsafeBytes({ BatchHeader.decode($0) }) else {
            return .bad("no valid batch header (bad magic or lengths)", nil)
        }
        if let position, decoded.firstPosition != position {
            return .bad("the batch starts at position \(decoded.firstPosition), expected \(position)", decoded)
        }
        let compressed = Int(decoded.compressedLength)
        guard offset + decoded.totalLength <= size else {
            return .bad(
                "the batch payload is cut short (\(size - offset - BatchHeader.size) of \(compressed) bytes)", decoded)
        }
        guard verify else { return .whole(decoded, UnsafeRawBufferPointer(start: nil, count: 0)) }
        if payload.count < compressed { payload = [UInt8](repeating: 0, count: compressed) }
        _ = try payload.withUnsafeMutableBytes {
            try file.read(
                into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<compressed]), at: offset + BatchHeader.size)
        }
        let crc = payload.withUnsafeBytes { p in
            header.withUnsafeBytes { h in
                CRC32C.checksum(
                    UnsafeRawBufferPointer(rebasing: p[0..<compressed]),
                    continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: h[0..<28])))
            }
        }
        guard crc == decoded.crc else {
            return .bad("CRC mismatch (expected \(hex(decoded.crc)), found \(hex(crc)))", decoded)
        }
        guard decompress else { return .whole(decoded, UnsafeRawBufferPointer(start: nil, count: 0)) }
        let length = Int(decoded.uncompressedLength)
        if plain.count < length { plain = [UInt8](repeating: 0, count: length) }
        let ok = payload.withUnsafeBytes { p in
            plain.withUnsafeMutableBytes { d in
                LZ4Codec.decompress(
                    UnsafeRawBufferPointer(rebasing: p[0..<compressed]),
                    into: UnsafeMutableRawBufferPointer(rebasing: d[0..<length]))
            }
        }
        guard ok else { return .bad("the LZ4 payload does not decompress to \(length) bytes", decoded) }
        return plain.withUnsafeBytes { .whole(decoded, UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }

    /// The next whole batch after a bad one at `offset`: right after it when its header is
    /// believable, else the first offset (byte by byte) where a whole batch at or after
    /// `position` starts.
    mutating func nextWhole(after offset: Int, skipping bad: BatchHeader?, expecting position: UInt64) throws
        -> (offset: Int, firstPosition: UInt64)?
    {
        if let bad, bad.firstPosition == position, offset + bad.totalLength < size,
            case .whole(let next, _) = try read(at: offset + bad.totalLength, expecting: position + UInt64(bad.count))
        {
            return (offset + bad.totalLength, next.firstPosition)
        }
        let magic = withUnsafeBytes(of: BatchHeader.magic.littleEndian) { Array($0) }
        var window = [UInt8](repeating: 0, count: 1 << 16)
        var start = offset + 1
        while start + BatchHeader.size <= size {
            let n = try window.withUnsafeMutableBytes { try file.read(into: $0, at: start) }
            guard n >= magic.count else { return nil }
            var i = 0
            while i + magic.count <= n {
                if window[i] == magic[0] && window[i + 1] == magic[1] && window[i + 2] == magic[2]
                    && window[i + 3] == magic[3],
                    case .whole(let next, _) = try read(at: start + i, expecting: nil), next.firstPosition >= position
                {
                    return (start + i, next.firstPosition)
                }
                i += 1
            }
            start += n - magic.count + 1
        }
        return nil
    }
}
