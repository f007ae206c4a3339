import CLZ4

/// LZ4 block compression with reusable buffers (fresh zeroed arrays per call cost 3×).
/// The only place in KithLog that touches liblz4's pointers.
package struct LZ4Codec {
    private var scratch: [UInt8] = []

    package init() {}

    /// Compresses `source` and returns the compressed bytes (valid until the next call).
    package mutating func compress(_ source: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        let bound = Int(LZ4_compressBound(Int32(source.count)))
        if scratch.count < bound { scratch = [UInt8](repeating: 0, count: bound) }
        let written = scratch.withUnsafeMutableBytes { dst in
            LZ4_compress_default(
                source.baseAddress?.assumingMemoryBound(to: CChar.self),
                dst.baseAddress?.assumingMemoryBound(to: CChar.self),
                Int32(source.count), Int32(bound))
        }
        return scratch.withUnsafeBytes { UnsafeRawBufferPointer(rebasing: $0[0..<Int(written)]) }
    }

    /// Decompresses a block of known size into `destination`; false if the block is corrupt.
    package static func decompress(
        _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer
    ) -> Bool {
        guard let src = source.baseAddress, let dst = destination.baseAddress else { return destination.isEmpty }
        let n = LZ4_decompress_safe(
            src.assumingMemoryBound(to: CChar.self), dst.assumingMemoryBound(to: CChar.self), Int32(source.count),
            Int32(destination.count))
        return n == Int32(destination.count)
    }
}
