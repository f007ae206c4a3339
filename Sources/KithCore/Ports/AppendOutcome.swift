/// What one durable append did.
public struct AppendOutcome: Sendable, Equatable {
    /// Records written, in order, at `positions`.
    public var appended: Int
    /// Records skipped because their `(source, event_id)` was already in the log.
    public var duplicates: Int
    public var positions: Range<UInt64>

    public init(appended: Int, duplicates: Int, positions: Range<UInt64>) {
        self.appended = appended
        self.duplicates = duplicates
        self.positions = positions
    }
}

/// Canonical lines ready to append: each line ends with `\n`; `keys[i]` belongs to line `i`.
public struct EncodedLines: Sendable {
    public var bytes: [UInt8] = []
    public var lineEnds: [Int] = []
    public var keys: [EventKey] = []

    public init() {}

    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }

    public mutating func removeAll() {
        bytes.removeAll(keepingCapacity: true)
        lineEnds.removeAll(keepingCapacity: true)
        keys.removeAll(keepingCapacity: true)
    }

    /// Call after appending one line's bytes (without the newline).
    public mutating func endLine(key: EventKey) {
        bytes.append(0x0A)
        lineEnds.append(bytes.count)
        keys.append(key)
    }

    /// Drops the bytes of a line that was started but not ended.
    public mutating func discardOpenLine() {
        bytes.removeSubrange((lineEnds.last ?? 0)...)
    }
}
