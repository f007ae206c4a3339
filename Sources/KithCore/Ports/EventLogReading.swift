/// The port projections read events through, so a PostgreSQL-backed log can slot in.
public protocol EventLogReading {
    /// One past the last readable position.
    var endPosition: UInt64 { get }
    /// When the log last took a record, to the second at least (a file log: its newest
    /// segment's modification time); nil for a log that holds none. What `/v1/status` reports as
    /// the last ingest.
    var lastAppendedAt: Timestamp? { get }
    /// How much room the log takes as it is now.
    func footprint() throws -> LogFootprint
    /// Calls `body` with each record's position and canonical line, from `position` on.
    func forEachLine(
        from position: UInt64, limit: Int?, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Bool) throws
    /// Calls `body` with each position from `start` up to `end` and its event as projection
    /// reads it: what `ProjectedEvent.decode` gives under `declaredKinds`, nil where it gives
    /// none. Stops when `body` returns false. A log may answer from a projection-ready form of
    /// its records (the file log's `.cols` files) instead of decoding every line.
    func forEachProjectedEvent(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        _ body: (UInt64, ProjectedEvent?) throws -> Bool) throws
    /// Calls `body` with the log's positions from `start` up to `end` in runs, each as columns
    /// that hold it and the run's positions (within the columns'): what a rebuild reads, row by
    /// row through `ProjectionColumns.Reading`, instead of an event at a time. Stops when `body`
    /// returns false. A log may answer from a projection-ready form it keeps (the file log's
    /// `.cols` files); otherwise the columns are made from the lines as they are read.
    func forEachColumns(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        _ body: (ProjectionColumns, Range<UInt64>) throws -> Bool) throws
}

extension EventLogReading {
    /// Decodes every line: what a log without a projection-ready form answers with.
    public func forEachProjectedEvent(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        _ body: (UInt64, ProjectedEvent?) throws -> Bool
    ) throws {
        try decodingEachLine(from: start, upTo: end, declaredKinds: declaredKinds, body)
    }

    /// `forEachProjectedEvent` by decoding each line (the oracle a projection-ready form is
    /// held to).
    public func decodingEachLine(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        _ body: (UInt64, ProjectedEvent?) throws -> Bool
    ) throws {
        guard start < end else { return }
        var scratch = EventLineParser.Scratch()
        try forEachLine(from: start, limit: Int(end - start)) { at, line in
            try body(at, ProjectedEvent.decode(line, position: at, scratch: &scratch, declaredKinds: declaredKinds))
        }
    }
}

extension EventLogReading {
    /// Makes columns of the lines, `columnsRun` positions at a time: what a log without a
    /// projection-ready form answers with.
    public func forEachColumns(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        _ body: (ProjectionColumns, Range<UInt64>) throws -> Bool
    ) throws {
        var position = start
        while position < min(end, endPosition) {
            let upper = min(end, endPosition, position + ProjectionColumns.runLength)
            var columns = ProjectionColumns(firstPosition: position)
            try forEachLine(from: position, limit: Int(upper - position)) { _, line in
                columns.add(line, declaredKinds: declaredKinds)
                return true
            }
            guard columns.endPosition > position, try body(columns, position..<columns.endPosition) else { return }
            position = columns.endPosition
        }
    }
}

extension EventLogReading {
    /// Calls `body` with the line at each of `positions` the log holds, in position order
    /// (positions past the end are skipped). Nearby positions are read in one sweep, so a page
    /// of a timeline costs a few batch reads, not one per event.
    public func forEachLine(at positions: [UInt64], _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Void) throws
    {
        let wanted = Array(Set(positions.filter { $0 < endPosition })).sorted()
        var i = 0
        while i < wanted.count {
            // A run of positions closer than `gap` to each other: one sweep over the lines between.
            let gap: UInt64 = 1_024
            var j = i
            while j + 1 < wanted.count && wanted[j + 1] - wanted[j] < gap { j += 1 }
            var next = i
            try forEachLine(from: wanted[i], limit: Int(wanted[j] - wanted[i] + 1)) { position, line in
                if position == wanted[next] {
                    try body(position, line)
                    next += 1
                }
                return next <= j
            }
            i = j + 1
        }
    }
}
