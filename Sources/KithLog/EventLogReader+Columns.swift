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
    /// decoding lines elsewhere (see `forEachSegmentPart`).
    public func forEachProjectedEvent(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        writingColumns: Bool, _ body: (UInt64, ProjectedEvent?) throws -> Bool
    ) throws {
        try forEachSegmentPart(
            from: start, upTo: end, writingColumns: writingColumns,
            columns: { columns, run in
                try columns.forEachEvent(
                    from: run.lowerBound, upTo: run.upperBound, declaredKinds: declaredKinds, body)
            },
            lines: { run, building in
                var builder = building ? ProjectionColumns(firstPosition: run.lowerBound) : nil
                var scratch = EventLineParser.Scratch()
                var stopped = false
                try forEachLine(from: run.lowerBound, limit: run.count) { at, line in
                    let event: ProjectedEvent?
                    if builder != nil {
                        event = builder?.append(line, declaredKinds: declaredKinds) ?? nil
                    } else {
                        event = ProjectedEvent.decode(
                            line, position: at, scratch: &scratch, declaredKinds: declaredKinds)
                    }
                    stopped = try !body(at, event)
                    return !stopped
                }
                return (stopped, builder)
            })
    }

    /// Answers from the `.cols` files where they are good, and writes them when `writesColumns`
    /// is set.
    public func forEachColumns(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        _ body: (ProjectionColumns, Range<UInt64>) throws -> Bool
    ) throws {
        try forEachColumns(from: start, upTo: end, declaredKinds: declaredKinds, writingColumns: writesColumns, body)
    }

    /// `EventLogReading.forEachColumns`, answering from each segment's `.cols` file where it is
    /// good, and elsewhere with columns made from the lines, a segment's part at a time (see
    /// `forEachSegmentPart`).
    ///
    /// Where lines are to be read and no `.cols` written (the catch-up after an ingest), the runs
    /// are made on a second thread, one ahead of `body` (see `ColumnsAhead`; this reader is that
    /// thread's until the call returns): at 200,000 people the nightly batch's ingest went
    /// 12.2 → 11.0 s. Otherwise they are made on this thread: a run made ahead holds another
    /// segment's columns (~90 MB), and writing a `.cols` file beside it more, which took a first
    /// rebuild at 1,000,000 people from a 1,993 to a 2,049 MiB peak (42.8 s instead of 54.1 s);
    /// where every segment has its file, reading them costs little.
    public func forEachColumns(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        writingColumns: Bool, _ body: (ProjectionColumns, Range<UInt64>) throws -> Bool
    ) throws {
        @Sendable func make(_ log: EventLogReader, _ hand: (ProjectionColumns, Range<UInt64>) throws -> Bool) throws {
            try log.forEachSegmentPart(
                from: start, upTo: end, writingColumns: writingColumns, columns: hand,
                lines: { run, building in
                    var columns = ProjectionColumns(firstPosition: run.lowerBound)
                    try log.forEachLine(from: run.lowerBound, limit: run.count) { _, line in
                        columns.add(line, declaredKinds: declaredKinds)
                        return true
                    }
                    let stopped = try !hand(columns, run.lowerBound..<columns.endPosition)
                    return (stopped, building ? columns : nil)
                })
        }
        guard !writingColumns, readsLines(from: start, upTo: end) else { return try make(self, body) }
        let reader = Lent(self)
        try ColumnsAhead.run(make: { hand in try make(reader.value, hand) }, body)
    }

    /// Whether a projection read of `start..<end` reads lines: some segment it touches has no
    /// `.cols` file covering what is asked of it (judged by the files' headers).
    private func readsLines(from start: UInt64, upTo end: UInt64) -> Bool {
        let end = min(end, endPosition)
        for (segment, range) in zip(segments, batchRanges()) {
            guard let segmentEnd = batches[range].last?.positions.upperBound else { continue }
            guard start < segmentEnd, segment.firstPosition < end else { continue }
            let covered = ColumnsFile.coveredEnd(at: ColumnsFile.path(of: segment.path)) ?? segment.firstPosition
            if covered < min(end, segmentEnd) { return true }
        }
        return false
    }

    /// Walks the segments over `start..<end` for a projection read: `columns` gets the part a
    /// segment's `.cols` file covers where the file is good, `lines` the rest, a segment at a
    /// time; each returns whether it was told to stop. Damage to a segment fails the read either
    /// way: the batches the columns stand for are read and their CRCs checked (without
    /// decompressing them).
    ///
    /// With `writingColumns`, a segment read whole from its first position, and not yet covered
    /// whole by its file, is read from its lines with `building` set, and the columns `lines`
    /// returns are written as its file (best effort: a log directory that cannot take it is
    /// read as before).
    private func forEachSegmentPart(
        from start: UInt64, upTo end: UInt64, writingColumns: Bool,
        columns read: (ProjectionColumns, Range<UInt64>) throws -> Bool,
        lines: (_ run: Range<UInt64>, _ building: Bool) throws -> (stopped: Bool, built: ProjectionColumns?)
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
                let run = position..<min(end, columns.endPosition)
                for b in mine.indices where mine[b].positions.overlaps(run) { try readAndCheck(batch: b) }
                if !run.isEmpty, try !read(columns, run) { return }
                position = max(position, columns.endPosition)
            }
            let upper = min(end, segmentEnd)
            guard position < upper else { continue }
            let building = writingColumns && whole && columns == nil && position == segment.firstPosition
            let (stopped, built) = try lines(position..<upper, building)
            if stopped { return }
            position = upper
            if building, let built { try? ColumnsFile.write(built, batches: mine, to: path) }
        }
    }
}

/// A reader lent to the thread that makes columns ahead (`ColumnsAhead`): only that thread uses
/// it until the call that lent it returns.
private final class Lent: @unchecked Sendable {
    let value: EventLogReader
    init(_ value: EventLogReader) { self.value = value }
}
