import KithCore

extension EventLogReader {
    /// Answers from the `.cols` files where they are good, and writes them when `writesColumns`
    /// is set.
    public func forEachProjectedEvent(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        _ body: (UInt64, ProjectedEvent?) throws -> Bool
    ) throws {
        try forEachProjectedEvent(
            from: start, upTo: end, declaredKinds: declaredKinds, writingColumns: writesColumns, body)
    }

    /// `forEachProjectedEvent`, answering from each segment's `.cols` file where it is good and
    /// decoding lines elsewhere. Damage to a segment fails the read either way: the batches the
    /// columns stand for are read and their CRCs checked (without decompressing them).
    ///
    /// With `writingColumns`, a segment read whole from its first position, and not yet covered
    /// whole by its file, gets the file written as a by-product of the same pass (best effort: a
    /// log directory that cannot take it is read as before).
    public func forEachProjectedEvent(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        writingColumns: Bool, _ body: (UInt64, ProjectedEvent?) throws -> Bool
    ) throws {
        let end = min(end, endPosition)
        var position = start
        for (segment, range) in zip(segments, batchRanges()) {
            guard position < end else { return }
            let mine = batches[range]
            guard let segmentEnd = mine.last?.positions.upperBound, position < segmentEnd else { continue }
            let path = ColumnsFile.path(of: segment.path)
            let whole = start <= segment.firstPosition && end >= segmentEnd
            var columns: ProjectionColumns?
            // A catch-up past what a file covers (the usual increment) does not read it at all.
            if whole || ColumnsFile.coveredEnd(at: path).map({ $0 > position }) == true,
                case .columns(let c, let covered) = ColumnsFile.read(
                    from: path, firstPosition: segment.firstPosition, batches: mine),
                // A file that covers part of a segment read whole is made again, whole.
                !(writingColumns && whole && covered < mine.count)
            {
                columns = c
            }
            if let columns {
                // The segment's bytes still answer for what the columns say: every batch read
                // through them is read and its CRC checked, as a read of its lines would.
                for b in mine.indices where mine[b].positions.overlaps(position..<min(end, columns.endPosition)) {
                    try readAndCheck(batch: b)
                }
                guard try columns.forEachEvent(from: position, upTo: end, declaredKinds: declaredKinds, body) else {
                    return
                }
                position = max(position, columns.endPosition)
            }
            let upper = min(end, segmentEnd)
            guard position < upper else { continue }
            var builder =
                writingColumns && whole && columns == nil && position == segment.firstPosition
                ? ProjectionColumns(firstPosition: position) : nil
            var scratch = EventLineParser.Scratch()
            var stopped = false
            try forEachLine(from: position, limit: Int(upper - position)) { at, line in
                let event: ProjectedEvent?
                if builder != nil {
                    event = builder?.append(line, declaredKinds: declaredKinds) ?? nil
                } else {
                    event = ProjectedEvent.decode(line, position: at, scratch: &scratch, declaredKinds: declaredKinds)
                }
                stopped = try !body(at, event)
                return !stopped
            }
            if stopped { return }
            position = upper
            if let builder { try? ColumnsFile.write(builder, batches: mine, to: path) }
        }
    }
}
