/// How much room an event log takes, as its adapter keeps it: what `kith log stats` reports
/// beside the counts of events, whatever the log is kept in.
public struct LogFootprint: Sendable, Equatable, Codable {
    /// Bytes the log takes where it is kept, its indexes and bookkeeping included.
    public var storedBytes: Int
    /// Bytes of the records as kept (compressed, where the adapter compresses).
    public var recordBytes: Int
    /// Bytes of the records as canonical lines, one newline each.
    public var canonicalBytes: Int
    /// Files the log is kept in (the file log's segments; nil where an adapter has no files).
    public var segments: Int?
    /// Units the records were written in (the file log's batches; nil where an adapter has none).
    public var batches: Int?
    /// Records a rebuild would read from a projection-ready form instead of decoding them (the
    /// file log's `.cols` files, as their headers say); nil where an adapter keeps no such form.
    public var projectionReadyRecords: Int?
    /// Bytes that form takes (included in `storedBytes`).
    public var projectionReadyBytes: Int?

    public init(
        storedBytes: Int, recordBytes: Int, canonicalBytes: Int, segments: Int? = nil, batches: Int? = nil,
        projectionReadyRecords: Int? = nil, projectionReadyBytes: Int? = nil
    ) {
        self.storedBytes = storedBytes
        self.recordBytes = recordBytes
        self.canonicalBytes = canonicalBytes
        self.segments = segments
        self.batches = batches
        self.projectionReadyRecords = projectionReadyRecords
        self.projectionReadyBytes = projectionReadyBytes
    }

    /// Canonical bytes per byte kept for the records (1 where nothing is compressed).
    public var compressionRatio: Double {
        recordBytes > 0 ? Double(canonicalBytes) / Double(recordBytes) : 0
    }
}
