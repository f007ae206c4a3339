/// Where a batch lives: the sparse position index kept in memory, one entry per batch.
public struct BatchLocation: Sendable, Equatable {
    public var segment: Int
    public var offset: Int
    public var header: BatchHeader

    public var positions: Range<UInt64> { header.firstPosition..<(header.firstPosition + UInt64(header.count)) }
}
