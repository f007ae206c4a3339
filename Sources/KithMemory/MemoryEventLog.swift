import Foundation
import KithCore

/// The in-memory reference adapter of `EventLog`: a plain array of lines and a set of keys,
/// obviously right, against which the other adapters are compared (as Hummingbird's
/// `MemoryPersistDriver` stands beside its database drivers).
///
/// Its `Storage` outlives a handle, so a test can "reopen" the log: a new handle over the same
/// storage sees exactly what was acknowledged. An append is all-or-nothing in memory, so it has
/// no torn tail to recover from.
public final class MemoryEventLog: EventLog, @unchecked Sendable {
    // @unchecked: all state lives in `storage`, guarded by its lock.

    /// What survives a handle: the records and their keys.
    public final class Storage: @unchecked Sendable {
        // @unchecked: guarded by `lock`.
        fileprivate let lock = NSLock()
        fileprivate var lines: [[UInt8]] = []
        fileprivate var keys: Set<EventKey> = []
        fileprivate var lastAppend: Timestamp?

        public init() {}
    }

    public let storage: Storage

    /// A handle over `storage` (a fresh, empty log by default).
    public init(storage: Storage = Storage()) { self.storage = storage }

    public var endPosition: UInt64 { storage.lock.withLock { UInt64(storage.lines.count) } }

    public var lastAppendedAt: Timestamp? { storage.lock.withLock { storage.lastAppend } }

    public func append(_ lines: EncodedLines) throws -> AppendOutcome {
        storage.lock.withLock {
            let first = UInt64(storage.lines.count)
            var appended = 0
            var start = 0
            for (i, end) in lines.lineEnds.enumerated() {
                defer { start = end }
                guard storage.keys.insert(lines.keys[i]).inserted else { continue }
                // Stored without the newline, as readers hand lines out.
                storage.lines.append(Array(lines.bytes[start..<(end - 1)]))
                appended += 1
            }
            if appended > 0 {
                let now = Date().timeIntervalSince1970
                storage.lastAppend = Timestamp(
                    epochSeconds: Int64(now.rounded(.down)),
                    nanoseconds: Int32((now - now.rounded(.down)) * 1e9))
            }
            return AppendOutcome(
                appended: appended, duplicates: lines.count - appended, positions: first..<(first + UInt64(appended)))
        }
    }

    public func contains(_ key: EventKey) throws -> Bool { storage.lock.withLock { storage.keys.contains(key) } }

    public func forEachLine(
        from position: UInt64, limit: Int?, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Bool
    ) throws {
        // A snapshot, so `body` may append without deadlocking (it sees what was there).
        let lines = storage.lock.withLock { storage.lines }
        var remaining = limit ?? Int.max
        var p = Int(clamping: position)
        while p < lines.count, remaining > 0 {
            let more = try lines[p].withUnsafeBufferPointer { try body(UInt64(p), $0) }
            if !more { return }
            p += 1
            remaining -= 1
        }
    }

    /// Kept as plain lines, so every count is the lines' bytes.
    public func footprint() throws -> LogFootprint {
        let bytes = storage.lock.withLock { storage.lines.reduce(0) { $0 + $1.count + 1 } }
        return LogFootprint(storedBytes: bytes, recordBytes: bytes, canonicalBytes: bytes)
    }

    public func verify() throws -> [String] { [] }

    public var recoveryNotes: [String] { [] }

    public func close() throws {}
}
