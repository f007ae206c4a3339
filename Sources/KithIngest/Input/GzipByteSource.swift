import CZlib

/// Streams a gzip file (several members allowed) through zlib.
final class GzipByteSource: ByteSource {
    private let file: FileByteSource
    private var stream = z_stream()
    private var input = [UInt8](repeating: 0, count: 256 << 10)
    private var inputPosition = 0
    private var inputLength = 0
    private var inputEnd = false
    private var finished = false
    private var memberDone = false
    private var produced = 0

    init(_ file: FileByteSource) throws {
        self.file = file
        let rc = inflateInit2_(&stream, 15 + 32, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        guard rc == Z_OK else { throw IngestError(.unreadableFile, "cannot start gzip decoding", file: file.path) }
    }

    deinit { inflateEnd(&stream) }

    var consumed: Int { file.consumed }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if finished { return 0 }
        while true {
            if inputPosition == inputLength && !inputEnd {
                inputLength = try input.withUnsafeMutableBytes { try file.read(into: $0) }
                inputPosition = 0
                if inputLength == 0 { inputEnd = true }
            }
            if inputPosition == inputLength && inputEnd {
                finished = true
                if !memberDone {
                    throw IngestError(
                        .truncatedFile, "truncated gzip stream: it ends after \(produced) decompressed bytes",
                        file: file.path)
                }
                return 0
            }
            if memberDone {
                inflateReset(&stream)  // another gzip member follows
                memberDone = false
            }
            let rc = input.withUnsafeMutableBytes { inp -> Int32 in
                stream.next_in = inp.baseAddress.map {
                    $0.advanced(by: inputPosition).assumingMemoryBound(to: Bytef.self)
                }
                stream.avail_in = UInt32(inputLength - inputPosition)
                stream.next_out = buffer.baseAddress.map { $0.assumingMemoryBound(to: Bytef.self) }
                stream.avail_out = UInt32(buffer.count)
                return inflate(&stream, Z_NO_FLUSH)
            }
            inputPosition = inputLength - Int(stream.avail_in)
            let n = buffer.count - Int(stream.avail_out)
            switch rc {
            case Z_OK, Z_BUF_ERROR: break
            case Z_STREAM_END: memberDone = true
            default:
                finished = true
                let why = stream.msg.map { String(cString: $0) } ?? "code \(rc)"
                throw IngestError(
                    .truncatedFile, "corrupt gzip data after \(produced) decompressed bytes (\(why))", file: file.path)
            }
            produced += n
            if n > 0 { return n }
        }
    }
}
