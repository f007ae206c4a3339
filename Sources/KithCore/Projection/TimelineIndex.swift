/// Where a value's events sit in the log, kept with the value's statistics instead of a row
/// per event: the timeline reads the events themselves from the log. Each entry is 16 bytes
/// (position with the type in its top byte, then the epoch second, little-endian), so a
/// batch's entries for a value append to the stored ones by concatenation.
public enum TimelineIndex {
    public struct Entry: Sendable, Equatable {
        public var position: UInt64
        public var epochSeconds: Int64
        public var type: EventType

        public init(position: UInt64, epochSeconds: Int64, type: EventType) {
            self.position = position
            self.epochSeconds = epochSeconds
            self.type = type
        }
    }

    public static let entrySize = 16

    public static func append(_ event: ProjectedEvent, to bytes: inout [UInt8]) {
        append(
            Entry(position: event.position, epochSeconds: event.occurredAt.epochSeconds, type: event.type), to: &bytes)
    }

    public static func append(_ entry: Entry, to bytes: inout [UInt8]) {
        let head = entry.position | UInt64(entry.type.storedCode) << 56
        let tail = UInt64(bitPattern: entry.epochSeconds)
        withUnsafeBytes(of: (head.littleEndian, tail.littleEndian)) { bytes.append(contentsOf: $0) }
    }

    /// The entries, or nil when the bytes are not whole entries of known types.
    public static func entries(_ bytes: [UInt8]) -> [Entry]? {
        guard bytes.count % entrySize == 0 else { return nil }
        var out: [Entry] = []
        out.reserveCapacity(bytes.count / entrySize)
        var i = 0
        while i < bytes.count {
            var head: UInt64 = 0
            var tail: UInt64 = 0
            for k in 0..<8 {
                head |= UInt64(bytes[i + k]) << UInt64(8 * k)
                tail |= UInt64(bytes[i + 8 + k]) << UInt64(8 * k)
            }
            guard let type = EventType(storedCode: UInt8(head >> 56)) else { return nil }
            out.append(Entry(position: head & 0x00FF_FFFF_FFFF_FFFF, epochSeconds: Int64(bitPattern: tail), type: type))
            i += entrySize
        }
        return out
    }
}
