/// The columns as bytes: each table and column in a fixed order, as an element count (u64)
/// followed by its elements, little-endian; strings as their end offsets, then their bytes.
/// Decoding checks every count, offset and reference, so damaged bytes are refused, never
/// read out of bounds.
extension ProjectionColumns {
    /// Why bytes are not columns.
    public struct DecodingError: Error, CustomStringConvertible {
        public var description: String
    }

    /// The columns' bytes (see `init(decoding:firstPosition:)`).
    public func encoded() -> [UInt8] {
        var w = ColumnWriter()
        var stringEnds: [UInt32] = []
        var stringBytes: [UInt8] = []
        for s in strings.strings {
            stringBytes.append(contentsOf: s.utf8)
            stringEnds.append(UInt32(stringBytes.count))
        }
        w.put(stringEnds)
        w.put(stringBytes)
        w.put(identifiers.kinds)
        w.put(identifiers.valueEnds)
        w.put(identifiers.valueBytes)
        w.put(status)
        w.put(seconds)
        w.put(nanoseconds)
        w.put(offsetMinutes)
        w.put(sources)
        w.put(names)
        w.put(eventIDEnds)
        w.put(eventIDBytes)
        w.put(identifierEnds)
        w.put(identifierRefs)
        w.put(traitEnds)
        w.put(traitRefs)
        w.put(currencies)
        w.put(minorUnits)
        w.put(scores)
        return w.bytes
    }

    /// Reads columns written by `encoded()` for positions from `firstPosition`.
    public init(decoding bytes: UnsafeRawBufferPointer, firstPosition: UInt64) throws(DecodingError) {
        self.init(firstPosition: firstPosition)
        var r = ColumnReader(bytes: bytes)
        let stringEnds: [UInt32] = try r.take("string ends")
        let stringBytes: [UInt8] = try r.take("string bytes")
        try ProjectionColumns.check(ends: stringEnds, within: stringBytes.count, "strings")
        var decoded: [String] = []
        decoded.reserveCapacity(stringEnds.count)
        var start = 0
        for end in stringEnds {
            decoded.append(String(decoding: stringBytes[start..<Int(end)], as: UTF8.self))
            start = Int(end)
        }
        strings = InternedStrings(decoded)
        identifiers.kinds = try r.take("identifier kinds")
        identifiers.valueEnds = try r.take("identifier value ends")
        identifiers.valueBytes = try r.take("identifier values")
        status = try r.take("status")
        seconds = try r.take("seconds")
        nanoseconds = try r.take("nanoseconds")
        offsetMinutes = try r.take("offsets")
        sources = try r.take("sources")
        names = try r.take("names")
        eventIDEnds = try r.take("event id ends")
        eventIDBytes = try r.take("event ids")
        identifierEnds = try r.take("identifier ends")
        identifierRefs = try r.take("identifier references")
        traitEnds = try r.take("trait ends")
        traitRefs = try r.take("trait references")
        currencies = try r.take("currencies")
        minorUnits = try r.take("amounts")
        scores = try r.take("scores")
        guard r.offset == bytes.count else {
            throw DecodingError(description: "\(bytes.count - r.offset) bytes follow the last column")
        }
        try validate()
    }

    /// Every column as long as `status`, every end offset in order and in range, every
    /// reference inside its table.
    private func validate() throws(DecodingError) {
        let n = status.count
        let lengths = [
            seconds.count, nanoseconds.count, offsetMinutes.count, sources.count, names.count, eventIDEnds.count,
            identifierEnds.count, traitEnds.count, currencies.count, minorUnits.count, scores.count,
        ]
        guard lengths.allSatisfy({ $0 == n }) else {
            throw DecodingError(description: "columns of different lengths (\(n) positions, found \(lengths))")
        }
        guard identifiers.kinds.count == identifiers.valueEnds.count else {
            throw DecodingError(description: "identifier kinds and values differ in number")
        }
        guard traitRefs.count % 2 == 0 else { throw DecodingError(description: "a trait without its value") }
        try ProjectionColumns.check(
            ends: identifiers.valueEnds, within: identifiers.valueBytes.count, "identifier values")
        try ProjectionColumns.check(ends: eventIDEnds, within: eventIDBytes.count, "event ids")
        try ProjectionColumns.check(ends: identifierEnds, within: identifierRefs.count, "identifiers")
        try ProjectionColumns.check(ends: traitEnds, within: traitRefs.count / 2, "traits")
        let stringCount = UInt32(strings.count)
        guard identifiers.kinds.allSatisfy({ $0 < stringCount }), sources.allSatisfy({ $0 < stringCount }),
            names.allSatisfy({ $0 < stringCount }), traitRefs.allSatisfy({ $0 < stringCount }),
            currencies.allSatisfy({ $0 < stringCount || $0 == ProjectionColumns.noAmount })
        else { throw DecodingError(description: "a reference past the string table (\(strings.count) strings)") }
        let identifierCount = UInt32(identifiers.count)
        guard identifierRefs.allSatisfy({ $0 < identifierCount }) else {
            throw DecodingError(description: "a reference past the identifier table (\(identifierCount) identifiers)")
        }
    }

    private static func check(ends: [UInt32], within count: Int, _ what: String) throws(DecodingError) {
        var last: UInt32 = 0
        for end in ends {
            guard end >= last else { throw DecodingError(description: "\(what): offsets out of order") }
            last = end
        }
        guard Int(last) == count else {
            throw DecodingError(description: "\(what): offsets end at \(last), the bytes at \(count)")
        }
    }
}

/// Appends counted little-endian arrays.
private struct ColumnWriter {
    var bytes: [UInt8] = []

    mutating func put<T: FixedWidthInteger>(_ values: [T]) {
        append(UInt64(values.count))
        bytes.reserveCapacity(bytes.count + values.count * MemoryLayout<T>.size)
        if T.bitWidth == 8 || UInt16(1).littleEndian == 1 {
            values.withUnsafeBytes { bytes.append(contentsOf: $0) }
        } else {
            for v in values { append(v) }
        }
    }

    private mutating func append<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads what `ColumnWriter` wrote, refusing counts past the end.
private struct ColumnReader {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    mutating func take<T: FixedWidthInteger>(_ what: String) throws(ProjectionColumns.DecodingError) -> [T] {
        guard bytes.count - offset >= 8 else {
            throw ProjectionColumns.DecodingError(description: "\(what): cut short at byte \(offset)")
        }
        let count = bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self).littleEndian
        offset += 8
        let size = MemoryLayout<T>.size
        guard count <= UInt64((bytes.count - offset) / size) else {
            throw ProjectionColumns.DecodingError(
                description: "\(what): \(count) entries do not fit in the \(bytes.count - offset) bytes left")
        }
        let n = Int(count)
        let start = offset
        offset += n * size
        return [T](unsafeUninitializedCapacity: n) { buffer, initialized in
            for i in 0..<n {
                buffer[i] = T(littleEndian: bytes.loadUnaligned(fromByteOffset: start + i * size, as: T.self))
            }
            initialized = n
        }
    }
}
