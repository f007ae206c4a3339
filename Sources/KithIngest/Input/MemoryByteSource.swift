/// Bytes already in memory (quarantined records on retry, tests).
final class MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private(set) var consumed = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - consumed)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { src in
            buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: src[consumed..<(consumed + n)]))
        }
        consumed += n
        return n
    }
}
