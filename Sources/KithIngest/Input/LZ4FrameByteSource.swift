import CLZ4

/// Streams an `.lz4` file (LZ4 frame format, as the `lz4` tool writes) through liblz4.
final class LZ4FrameByteSource: ByteSource {
    private let file: FileByteSource
    private var context: OpaquePointer?
    private var input = [UInt8](repeating: 0, count: 256 << 10)
    private var inputPosition = 0
    private var inputLength = 0
    private var inputEnd = false
    private var expectMore = true
    private var finished = false
    private var produced = 0

    init(_ file: FileByteSource) throws {
        self.file = file
        var ctx: OpaquePointer?
        guard LZ4F_isError(LZ4F_createDecompressionContext(&ctx, UInt32(LZ4F_VERSION))) == 0 else {
            throw IngestError(.unreadableFile, "cannot start LZ4 decoding", file: file.path)
        }
        context = ctx
    }

    deinit { LZ4F_freeDecompressionContext(context) }

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
                if expectMore && file.consumed > 0 {
                    throw IngestError(
                        .truncatedFile, "truncated LZ4 frame: it ends after \(produced) decompressed bytes",
                        file: file.path)
                }
                return 0
            }
            var srcSize = inputLength - inputPosition
            var dstSize = buffer.count
            let hint = input.withUnsafeBytes { inp in
                LZ4F_decompress(
                    context, buffer.baseAddress, &dstSize, inp.baseAddress.map { $0 + inputPosition }, &srcSize, nil)
            }
            if LZ4F_isError(hint) != 0 {
                finished = true
                let why = String(cString: LZ4F_getErrorName(hint))
                throw IngestError(
                    .truncatedFile, "corrupt LZ4 data after \(produced) decompressed bytes (\(why))", file: file.path)
            }
            inputPosition += srcSize
            expectMore = hint != 0
            produced += dstSize
            if dstSize > 0 { return dstSize }
        }
    }
}
