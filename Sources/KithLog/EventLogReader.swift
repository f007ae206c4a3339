import Foundation
import KithCore

/// Reads the log from any position, without the writer's lock, verifying each batch's CRC.
///
/// A reader sees whole batches only: a batch the writer is still writing fails its header or
/// length checks and ends the readable log, like a torn tail.
/// For example:
/// ```swift
/// let reader = try EventLogReader(directory: "kith-data/log")
/// try reader.forEachLine(from: 1_000) { position, line in print(position); return true }
/// ```
public final class EventLogReader {
    public struct Segment {
        public var path: String
        public var firstPosition: UInt64
        public var fileSize: Int
        let file: FileDescriptor
    }

    public let directory: String
    public private(set) var segments: [Segment] = []
    /// The sparse position index: one entry per batch, in position order.
    public private(set) var batches: [BatchLocation] = []
    /// Whether reading a segment whole for projection writes its `.cols` file (see
    /// `forEachProjectedEvent`). Only a holder of the log's writer lock sets it: whatever
    /// rewrites segments (repair today, erasure next) holds that lock, so no reader can write a
    /// file from a segment's old bytes after they are gone.
    public var writesColumns = false
    private var payload: [UInt8] = []
    private var plain: [UInt8] = []

    public init(directory: String) throws {
        self.directory = directory
        try LogRepair.finishInterruptedSalvage(directory, disk: .real)
        guard FileManager.default.fileExists(atPath: directory) else { return }
        let files = try LogOpening.segmentFiles(in: directory)
        var expected: UInt64 = 0
        for (index, entry) in files.enumerated() {
            let file = try FileDescriptor(path: entry.path, flags: O_RDONLY)
            guard file.size >= SegmentName.headerSize else { break }
            let first = try SegmentScan.readSegmentHeader(file)
            guard first == expected else {
                throw LogError(.corrupt, "segment starts at position \(first), expected \(expected)", path: entry.path)
            }
            let scan = try SegmentScan.scan(file, segment: index, firstPosition: first, verify: false)
            if let problem = scan.problem, index < files.count - 1 {
                throw LogError(
                    .corrupt, "sealed segment is damaged: \(problem)", path: entry.path, offset: scan.validEnd)
            }
            segments.append(Segment(path: entry.path, firstPosition: first, fileSize: scan.fileSize, file: file))
            batches.append(contentsOf: scan.batches)
            expected = batches.last?.positions.upperBound ?? first
        }
    }

    /// One past the last readable position: the number of events in the log.
    public var endPosition: UInt64 { batches.last?.positions.upperBound ?? 0 }

    /// Index of the batch holding `position` (binary search over the sparse index).
    func batchIndex(containing position: UInt64) -> Int {
        var low = 0
        var high = batches.count
        while low < high {
            let mid = (low + high) / 2
            if batches[mid].positions.upperBound <= position { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// Calls `body` with each batch's decompressed payload (newline-terminated canonical lines).
    public func forEachBatch(
        from position: UInt64 = 0, _ body: (BatchLocation, UnsafeRawBufferPointer) throws -> Bool
    ) throws {
        var index = batchIndex(containing: position)
        while index < batches.count {
            let batch = batches[index]
            let header = batch.header
            let segment = segments[batch.segment]
            let total = try readAndCheck(batch: index)
            let length = Int(header.uncompressedLength)
            if plain.count < length { plain = [UInt8](repeating: 0, count: length) }
            let ok = payload.withUnsafeBytes { p in
                plain.withUnsafeMutableBytes { d in
                    LZ4Codec.decompress(
                        UnsafeRawBufferPointer(rebasing: p[BatchHeader.size..<total]),
                        into: UnsafeMutableRawBufferPointer(rebasing: d[0..<length]))
                }
            }
            guard ok else {
                throw LogError(.corrupt, "LZ4 payload does not decompress", path: segment.path, offset: batch.offset)
            }
            let more = try plain.withUnsafeBytes { try body(batch, UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
            if !more { return }
            index += 1
        }
    }

    /// Each segment's batches, as a range of `batches` (in segment order).
    func batchRanges() -> [Range<Int>] {
        var out: [Range<Int>] = []
        var start = 0
        for s in segments.indices {
            var end = start
            while end < batches.count && batches[end].segment == s { end += 1 }
            out.append(start..<end)
            start = end
        }
        return out
    }

    /// Reads the batch at `index` into `payload` and checks its CRC; returns its length.
    @discardableResult
    func readAndCheck(batch index: Int) throws -> Int {
        let batch = batches[index]
        let header = batch.header
        let segment = segments[batch.segment]
        let total = header.totalLength
        if payload.count < total { payload = [UInt8](repeating: 0, count: total) }
        let n = try payload.withUnsafeMutableBytes {
            try segment.file.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<total]), at: batch.offset)
        }
        guard n == total else {
            throw LogError(.corrupt, "batch is cut short", path: segment.path, offset: batch.offset)
        }
        let crc = payload.withUnsafeBytes { p in
            CRC32C.checksum(
                UnsafeRawBufferPointer(rebasing: p[BatchHeader.size..<total]),
                continuing: CRC32C.checksum(UnsafeRawBufferPointer(rebasing: p[0..<28])))
        }
        guard crc == header.crc else {
            throw LogError(
                .corrupt,
                "CRC mismatch in the batch at positions \(batch.positions) (expected \(hex(header.crc)), found \(hex(crc)))",
                path: segment.path, offset: batch.offset)
        }
        return total
    }

    /// Calls `body` with each record's position and canonical line (without the newline).
    public func forEachLine(
        from position: UInt64 = 0, limit: Int? = nil, _ body: (UInt64, UnsafeBufferPointer<UInt8>) throws -> Bool
    ) throws {
        var remaining = limit ?? Int.max
        guard remaining > 0 else { return }
        try forEachBatch(from: position) { batch, payload in
            var p = batch.header.firstPosition
            var stop = false
            var failure: (any Error)?
            SegmentScan.forEachLine(payload) { line in
                guard !stop else { return }
                defer { p += 1 }
                if p < position { return }
                do {
                    if try !body(p, line) { stop = true }
                } catch {
                    failure = error
                    stop = true
                }
                remaining -= 1
                if remaining == 0 { stop = true }
            }
            if let failure { throw failure }
            return !stop
        }
    }
}

extension EventLogReader: EventLogReading {
    /// The segments and batches as this reader found them; stored bytes are every file in the
    /// log's directory (`.keys` indexes and the lock included).
    public func footprint() throws -> LogFootprint {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let stored = names.reduce(0) { total, name in
            var st = stat()
            return total + (stat(directory + "/" + name, &st) == 0 ? Int(st.st_size) : 0)
        }
        var ready = 0
        var readyBytes = 0
        for (segment, range) in zip(segments, batchRanges()) {
            if let covered = ColumnsFile.coverage(
                at: ColumnsFile.path(of: segment.path), firstPosition: segment.firstPosition, batches: batches[range])
            {
                ready += covered.positions
                readyBytes += covered.bytes
            }
        }
        return LogFootprint(
            storedBytes: stored, recordBytes: batches.reduce(0) { $0 + $1.header.totalLength },
            canonicalBytes: batches.reduce(0) { $0 + Int($1.header.uncompressedLength) }, segments: segments.count,
            batches: batches.count, projectionReadyRecords: ready, projectionReadyBytes: readyBytes)
    }

    /// The newest modification time among the segments (an append writes the last one; sealing
    /// one writes the next), or nil before the first record.
    public var lastAppendedAt: Timestamp? {
        guard endPosition > 0 else { return nil }
        var newest: Timestamp?
        for segment in segments {
            var st = stat()
            guard fstat(segment.file.fd, &st) == 0 else { continue }
            let at = Timestamp(epochSeconds: Int64(st.st_mtim.tv_sec), nanoseconds: Int32(st.st_mtim.tv_nsec))
            if newest.map({ $0 < at }) ?? true { newest = at }
        }
        return newest
    }
}
