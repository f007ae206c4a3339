import Foundation
import KithCore

/// Moving a log between stores: the embedded file log into PostgreSQL and back.
extension Engine {
    /// What `kith log copy` did.
    public struct LogCopy: Codable, Sendable {
        /// The stores, as their descriptions (a PostgreSQL URL never with its password).
        public var from: String
        public var to: String
        /// Events the target held before: a copy cut short goes on from there.
        public var alreadyThere: UInt64
        public var copied: Int
        /// Events the target holds now, each compared byte for byte with the source's.
        public var compared: UInt64
        /// The whole copy, and its two parts: reading and appending the events, then reading
        /// both logs to compare them.
        public var seconds: Double
        public var copyingSeconds: Double
        public var comparingSeconds: Double

        enum CodingKeys: String, CodingKey {
            case from, to, copied, compared, seconds
            case alreadyThere = "already_there"
            case copyingSeconds = "copying_seconds"
            case comparingSeconds = "comparing_seconds"
        }
    }

    /// Copies every event of `source` that `target` lacks, at the same positions, then reads
    /// both whole and compares every event. `target` must be empty or hold a prefix of
    /// `source` (a copy cut short); anything else is refused before a byte is written.
    public static func copyLog(
        from source: any EventLogReading, named sourceName: String, to target: any EventLog, named targetName: String,
        progress: ((_ done: UInt64, _ of: UInt64) -> Void)? = nil
    ) throws -> LogCopy {
        let started = Date()
        let end = source.endPosition
        let held = target.endPosition
        guard held <= end else {
            throw EngineError(
                .badArgument,
                "\(targetName) holds \(held) events, more than the \(end) of \(sourceName): it is not a copy of it")
        }
        if let position = try firstDifference(source, target, upTo: held) {
            throw EngineError(
                .badArgument,
                "\(targetName) already holds \(held) events, and the one at position \(position) differs from "
                    + "\(sourceName)'s: copy into an empty log")
        }
        var next = held
        while next < end {
            var lines = EncodedLines()
            try source.forEachLine(from: next, limit: batch) { _, line in
                lines.bytes.append(contentsOf: line)
                // The key the log keyed the line by: a canonical line's source and event_id.
                lines.endLine(key: CanonicalLine.key(of: line) ?? EventKey(hashing: line))
                return true
            }
            guard !lines.isEmpty else { break }
            let outcome = try target.append(lines)
            guard outcome.appended == lines.count, outcome.positions.lowerBound == next else {
                throw EngineError(
                    .logDamaged,
                    "copying positions \(next)..<\(next + UInt64(lines.count)) into \(targetName): "
                        + "\(outcome.duplicates) of them are already there by key, at other positions; nothing after "
                        + "position \(outcome.positions.lowerBound) was copied")
            }
            next += UInt64(lines.count)
            progress?(next, end)
        }
        let copied = Date()
        if let position = try firstDifference(source, target, upTo: end) {
            throw EngineError(
                .logDamaged,
                "after the copy, the event at position \(position) of \(targetName) differs from \(sourceName)'s")
        }
        let done = Date()
        return LogCopy(
            from: sourceName, to: targetName, alreadyThere: held, copied: Int(end - held), compared: end,
            seconds: done.timeIntervalSince(started), copyingSeconds: copied.timeIntervalSince(started),
            comparingSeconds: done.timeIntervalSince(copied))
    }

    /// Events a copy reads and appends at a time.
    private static let batch = 16_384

    /// The first position below `end` where the two logs' lines differ; nil when none does.
    private static func firstDifference(_ a: any EventLogReading, _ b: any EventLogReading, upTo end: UInt64) throws
        -> UInt64?
    {
        var start: UInt64 = 0
        while start < end {
            let count = Int(min(UInt64(batch), end - start))
            var lines: [[UInt8]] = []
            lines.reserveCapacity(count)
            try a.forEachLine(from: start, limit: count) { _, line in
                lines.append(Array(line))
                return true
            }
            var i = 0
            var differs: UInt64?
            try b.forEachLine(from: start, limit: count) { position, line in
                if i >= lines.count || !line.elementsEqual(lines[i]) {
                    differs = position
                    return false
                }
                i += 1
                return true
            }
            if let differs { return differs }
            if i != count { return start + UInt64(i) }
            start += UInt64(count)
        }
        return nil
    }
}
