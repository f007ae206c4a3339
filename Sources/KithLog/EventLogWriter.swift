import Foundation
import KithCore

#if canImport(Glibc)
    import Glibc
#endif

/// The single writer of an append-only event log.
///
/// Appends are durable when `append` returns: batches are written, then one `fdatasync` covers
/// every batch written before it (group commit), so concurrent appenders share a sync.
/// Opening recovers from a crash: a torn or corrupt tail of the active segment is cut back to
/// the last whole batch and reported in `recovery`.
///
/// For example:
/// ```swift
/// let log = try EventLogWriter(directory: "kith-data/log")
/// let outcome = try log.append(lines)   // durable here
/// ```
public final class EventLogWriter: @unchecked Sendable {
    // @unchecked: mutable state is guarded by `state`; the sync bookkeeping by `syncCondition`.
    public struct Options: Sendable {
        /// A segment is sealed once it grows past this many bytes. Opening a writer re-reads the
        /// active segment to collect its keys, so this bounds the fixed cost of every ingest.
        public var segmentBytes: Int = 16 << 20
        /// Uncompressed bytes per batch; larger appends are split.
        public var batchBytes: Int = 1 << 20
        /// Shown to a second writer that finds the directory locked.
        public var purpose: String = "kith"
        public init() {}
    }

    public let directory: String
    public let options: Options
    public private(set) var recovery = RecoveryReport()

    private let disk: Disk
    private let lock: DirectoryLock
    private let state = NSLock()
    private var active: FileDescriptor
    private var activeFirstPosition: UInt64
    private var activeKeys: [EventKey] = []
    /// The active segment's batches, which `activeKeys` are the keys of (see `ActiveKeysFile`).
    private var activeBatches: [BatchLocation] = []
    private var segmentCount: Int
    private var writeOffset: Int
    private var nextPositionValue: UInt64
    private var keys: IdempotencyKeys
    private var codec = LZ4Codec()
    private var frame: [UInt8] = []
    private var payload: [UInt8] = []
    private var written: UInt64 = 0
    /// The offset in the active segment known synced; stamped into each batch (`durableThrough`).
    private var durableOffset: Int
    private var poisoned: (any Error)?

    private let syncCondition = NSCondition()
    private var synced: UInt64 = 0
    private var syncing = false
    private var syncs = 0

    public convenience init(directory: String, options: Options = Options()) throws {
        try self.init(directory: directory, options: options, disk: .real)
    }

    /// Opens the log with every durable operation going through `disk` (crash tests watch it).
    package init(directory: String, options: Options = Options(), disk: Disk) throws {
        self.directory = directory
        self.options = options
        self.disk = disk
        try LogRepair.finishInterruptedSalvage(directory, disk: disk)
        try disk.createDirectory(directory)
        lock = try DirectoryLock(directory: directory, purpose: options.purpose)
        let opened = try LogOpening.open(directory: directory, disk: disk)
        recovery = opened.recovery
        keys = opened.keys
        active = opened.active
        activeFirstPosition = opened.activeFirstPosition
        activeKeys = opened.activeKeys
        activeBatches = opened.activeBatches
        segmentCount = opened.segmentCount
        writeOffset = opened.activeEnd
        durableOffset = opened.activeEnd
        nextPositionValue = opened.nextPosition
    }

    /// The position the next appended record will get; also the number of records in the log.
    public var nextPosition: UInt64 {
        state.withLock { nextPositionValue }
    }

    /// How many fsyncs appends have needed (fewer than appends when group commit works).
    public var syncCount: Int { syncCondition.withLock { syncs } }

    /// True if a record with this key is in the log.
    public func contains(_ key: EventKey) throws -> Bool { try state.withLock { try keys.contains(key) } }

    /// Appends the lines whose keys are new, in order, and returns once they are durable.
    public func append(_ lines: EncodedLines) throws -> AppendOutcome {
        state.lock()
        if let poisoned {
            state.unlock()
            throw LogError(.poisoned, "the log refused writes after an earlier failure: \(poisoned)", path: directory)
        }
        let first = nextPositionValue
        var duplicates = 0
        var batchKeys: [EventKey] = []
        payload.removeAll(keepingCapacity: true)
        var failure: (any Error)?
        var lineStart = 0
        // Every new key is taken up front; a failed write gives back those it did not write.
        let fresh: [Bool]
        do { fresh = try keys.insert(contentsOf: lines.keys) } catch {
            state.unlock()
            throw error
        }
        var unwritten = lines.count
        for i in 0..<lines.count {
            let end = lines.lineEnds[i]
            defer { lineStart = end }
            if !fresh[i] {
                duplicates += 1
                continue
            }
            batchKeys.append(lines.keys[i])
            lines.bytes.withUnsafeBufferPointer { payload.append(contentsOf: $0[lineStart..<end]) }
            if payload.count >= options.batchBytes {
                do { try writeBatch(keys: batchKeys) } catch {
                    failure = error
                    unwritten = i + 1
                    break
                }
                batchKeys.removeAll(keepingCapacity: true)
                payload.removeAll(keepingCapacity: true)
            }
        }
        if failure == nil, !batchKeys.isEmpty {
            do { try writeBatch(keys: batchKeys) } catch { failure = error }
        }
        if let failure {
            for k in batchKeys { keys.remove(k) }
            for j in unwritten..<lines.count where fresh[j] { keys.remove(lines.keys[j]) }
            state.unlock()
            throw failure
        }
        let target = written
        let outcome = AppendOutcome(
            appended: Int(nextPositionValue - first), duplicates: duplicates, positions: first..<nextPositionValue)
        state.unlock()
        try waitUntilDurable(target)
        KillPoint.append.reached()
        return outcome
    }

    /// Compresses `payload` into one batch and writes it. Called with `state` held.
    private func writeBatch(keys batchKeys: [EventKey]) throws {
        frame.removeAll(keepingCapacity: true)
        let header = payload.withUnsafeBytes { plain -> BatchHeader in
            let compressed = codec.compress(plain)
            var header = BatchHeader(
                firstPosition: nextPositionValue,
                durableThrough: durableOffset <= Int(UInt32.max) ? UInt32(durableOffset) : 0,
                count: UInt32(batchKeys.count),
                uncompressedLength: UInt32(plain.count), compressedLength: UInt32(compressed.count), crc: 0)
            header.encodePrefix(into: &frame)
            header.crc = frame.withUnsafeBytes { CRC32C.checksum(compressed, continuing: CRC32C.checksum($0)) }
            frame.appendLittleEndian(header.crc)
            frame.append(contentsOf: compressed)
            return header
        }
        if writeOffset > SegmentName.headerSize && writeOffset + frame.count > options.segmentBytes {
            try roll()
        }
        let location = BatchLocation(segment: segmentCount - 1, offset: writeOffset, header: header)
        do {
            try active.write(frame, at: writeOffset)
        } catch {
            do { try active.truncate(to: writeOffset) } catch let truncation {
                poisoned = truncation
            }
            throw error
        }
        writeOffset += frame.count
        written += UInt64(frame.count)
        KillPoint.batch.reached()
        nextPositionValue += UInt64(header.count)
        activeKeys.append(contentsOf: batchKeys)
        activeBatches.append(location)
    }

    /// Seals the active segment (synced, keys file written) and starts the next one.
    private func roll() throws {
        try active.sync()
        let keysPath =
            directory + "/" + SegmentName.file(firstPosition: activeFirstPosition, extension: SegmentName.keysExtension)
        try KeysFile.write(activeKeys, to: keysPath, disk: disk)
        let sealed = active
        do {
            active = try LogOpening.createSegment(directory: directory, firstPosition: nextPositionValue, disk: disk)
        } catch {
            // No next segment (a full disk): the active one stays active, as if it had not rolled,
            // so no empty segment is left behind it and its keys file is not left stale.
            let next = SegmentName.file(firstPosition: nextPositionValue, extension: SegmentName.segmentExtension)
            try? disk.removeFile(directory + "/" + next)
            try? disk.removeFile(keysPath)
            throw error
        }
        // Sealed segments are immutable (later rewrites, for erasure or compaction, copy them).
        // Only now, so a crash before the next segment exists leaves the last one writable.
        _ = fchmod(sealed.fd, 0o444)
        // Its `.keys` file says it all now.
        try? disk.removeFile(ActiveKeysFile.path(of: sealed.path))
        activeFirstPosition = nextPositionValue
        activeKeys.removeAll(keepingCapacity: true)
        activeBatches.removeAll(keepingCapacity: true)
        segmentCount += 1
        writeOffset = SegmentName.headerSize
        durableOffset = SegmentName.headerSize
    }

    private func waitUntilDurable(_ target: UInt64) throws {
        syncCondition.lock()
        defer { syncCondition.unlock() }
        while synced < target {
            if syncing {
                syncCondition.wait()
                continue
            }
            syncing = true
            syncCondition.unlock()
            state.lock()
            let file = active
            let upTo = written
            let offset = writeOffset
            state.unlock()
            var failure: (any Error)?
            do {
                try file.sync()
                state.withLock { if active === file { durableOffset = max(durableOffset, offset) } }
            } catch { failure = error }
            syncCondition.lock()
            syncing = false
            syncs += 1
            syncCondition.broadcast()
            if let failure {
                state.withLock { poisoned = failure }
                throw failure
            }
            synced = max(synced, upTo)
        }
    }

    /// Syncs what is written, and saves the active segment's keys for the next writer (see
    /// `ActiveKeysFile`; best effort: without them it reads the segment). The lock is released
    /// when the writer is deallocated.
    public func close() throws {
        let target = state.withLock { written }
        try waitUntilDurable(target)
        state.withLock {
            guard !activeBatches.isEmpty, poisoned == nil else { return }
            try? ActiveKeysFile.write(
                activeKeys, of: activeBatches[...], to: ActiveKeysFile.path(of: active.path), disk: disk)
        }
    }
}
