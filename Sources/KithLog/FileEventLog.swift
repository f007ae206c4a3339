import Foundation
import KithCore

/// The file log (LZ4 segments in one directory) as an `EventLog`: the embedded default.
///
/// It holds the directory's writer lock for as long as it is open, appends through an
/// `EventLogWriter` (group commit, torn-tail recovery on opening) and reads through an
/// `EventLogReader`, reopened when appends have moved the end past what the last one saw.
public final class FileEventLog: EventLog, @unchecked Sendable {
    // @unchecked: the writer is thread-safe; the cached reader is guarded by `lock`.
    public let directory: String
    public let writer: EventLogWriter
    private let lock = NSLock()
    private var reader: EventLogReader?

    /// Opens (or creates) the log in `directory`, recovering from a crash first.
    public convenience init(directory: String, options: EventLogWriter.Options = .init()) throws {
        try self.init(directory: directory, options: options, disk: .real)
    }

    /// A log whose durable operations go through `disk` (crash tests watch it).
    package init(directory: String, options: EventLogWriter.Options = .init(), disk: Disk) throws {
        self.directory = directory
        writer = try EventLogWriter(directory: directory, options: options, disk: disk)
    }

    /// What opening had to repair (a torn tail cut, `.keys` files rebuilt).
    public var recovery: RecoveryReport { writer.recovery }

    public var recoveryNotes: [String] { writer.recovery.lines }

    public var endPosition: UInt64 { writer.nextPosition }

    public var lastAppendedAt: Timestamp? { (try? currentReader())?.lastAppendedAt }

    public func append(_ lines: EncodedLines) throws -> AppendOutcome { try writer.append(lines) }

    public func contains(_ key: EventKey) throws -> Bool { try writer.contains(key) }

    public func forEachLine(
        from position: UInt64, limit: Int?, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Bool
    ) throws {
        try currentReader().forEachLine(from: position, limit: limit, body)
    }

    /// Answers from the segments' `.cols` files, writing them for segments read whole.
    public func forEachProjectedEvent(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        _ body: (UInt64, ProjectedEvent?) throws -> Bool
    ) throws {
        try currentReader().forEachProjectedEvent(
            from: start, upTo: end, declaredKinds: declaredKinds, writingColumns: true, body)
    }

    /// Answers from the segments' `.cols` files, writing them for segments read whole.
    public func forEachColumns(
        from start: UInt64, upTo end: UInt64, declaredKinds: [String: IdentifierNormalizer.Method],
        _ body: (ProjectionColumns, Range<UInt64>) throws -> Bool
    ) throws {
        try currentReader().forEachColumns(
            from: start, upTo: end, declaredKinds: declaredKinds, writingColumns: true, body)
    }

    public func footprint() throws -> LogFootprint { try currentReader().footprint() }

    public func verify() throws -> [String] {
        try LogCheck(directory: directory).problems.map(\.description)
    }

    public func close() throws { try writer.close() }

    /// A reader that sees every acknowledged record.
    private func currentReader() throws -> EventLogReader {
        let end = writer.nextPosition
        return try lock.withLock {
            if let reader, reader.endPosition >= end { return reader }
            let fresh = try EventLogReader(directory: directory)
            reader = fresh
            return fresh
        }
    }
}
