/// The 32-byte header in front of every record batch in a segment (little-endian):
///
/// | offset | size | field |
/// |---|---|---|
/// | 0 | 4 | magic `KBAT` |
/// | 4 | 4 | durable-through: the segment offset the log was synced to when this batch was written (0: unknown) |
/// | 8 | 8 | global position of the first record |
/// | 16 | 4 | record count |
/// | 20 | 4 | uncompressed payload length |
/// | 24 | 4 | compressed payload length |
/// | 28 | 4 | CRC-32C of bytes 0..<28 and the compressed payload |
public struct BatchHeader: Sendable, Equatable {
    public static let size = 32
    public static let magic: UInt32 = 0x5441_424B  // "KBAT" little-endian
    /// A batch larger than this is not one Kith wrote.
    public static let maximumPayload = 256 << 20

    public var firstPosition: UInt64
    /// How far this segment was durable (synced) when the batch was written; 0 in batches
    /// written before the field existed (then it held flags, always 0). Opening uses it to tell
    /// a power loss, which can only damage bytes past the last sync, from damage to synced data.
    public var durableThrough: UInt32 = 0
    public var count: UInt32
    public var uncompressedLength: UInt32
    public var compressedLength: UInt32
    public var crc: UInt32

    public var totalLength: Int { BatchHeader.size + Int(compressedLength) }

    func encodePrefix(into out: inout [UInt8]) {
        out.appendLittleEndian(BatchHeader.magic)
        out.appendLittleEndian(durableThrough)
        out.appendLittleEndian(firstPosition)
        out.appendLittleEndian(count)
        out.appendLittleEndian(uncompressedLength)
        out.appendLittleEndian(compressedLength)
    }

    public enum DecodeProblem: Error, Equatable {
        case badMagic(UInt32)
        case implausibleLengths
    }

    /// Reads the fixed fields; the CRC is checked separately against the payload.
    static func decode(_ b: UnsafeRawBufferPointer) -> Result<BatchHeader, DecodeProblem> {
        let magic = b.loadUnaligned(fromByteOffset: 0, as: UInt32.self).littleEndian
        guard magic == BatchHeader.magic else { return .failure(.badMagic(magic)) }
        let header = BatchHeader(
            firstPosition: b.loadUnaligned(fromByteOffset: 8, as: UInt64.self).littleEndian,
            durableThrough: b.loadUnaligned(fromByteOffset: 4, as: UInt32.self).littleEndian,
            count: b.loadUnaligned(fromByteOffset: 16, as: UInt32.self).littleEndian,
            uncompressedLength: b.loadUnaligned(fromByteOffset: 20, as: UInt32.self).littleEndian,
            compressedLength: b.loadUnaligned(fromByteOffset: 24, as: UInt32.self).littleEndian,
            crc: b.loadUnaligned(fromByteOffset: 28, as: UInt32.self).littleEndian)
        guard header.count > 0, header.uncompressedLength <= BatchHeader.maximumPayload,
            header.compressedLength <= BatchHeader.maximumPayload
        else { return .failure(.implausibleLengths) }
        return .success(header)
    }
}

extension [UInt8] {
    mutating func appendLittleEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.littleEndian) { append(contentsOf: $0) }
    }
}
