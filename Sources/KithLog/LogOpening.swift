import Foundation
import KithCore

/// Opening a log for writing: find segments, load or rebuild idempotency keys, verify the
/// active segment batch by batch and cut a torn tail back to the last whole batch.
enum LogOpening {
    struct Opened {
        var recovery = RecoveryReport()
        var keys: IdempotencyKeys
        var active: FileDescriptor
        var activeFirstPosition: UInt64
        var activeKeys: [EventKey]
        /// The active segment's whole batches, as the scan found them.
        var activeBatches: [BatchLocation]
        var activeEnd: Int
        var segmentCount: Int
        var nextPosition: UInt64
    }

    static func segmentFiles(in directory: String) throws -> [(firstPosition: UInt64, path: String)] {
        let names: [String]
        do { names = try FileManager.default.contentsOfDirectory(atPath: directory) } catch {
            throw LogError(.io, "cannot list the log directory: \(error.localizedDescription)", path: directory)
        }
        return names.compactMap { name in
            SegmentName.firstPosition(ofFile: name).map { ($0, directory + "/" + name) }
        }.sorted { $0.firstPosition < $1.firstPosition }
    }

    static func createSegment(directory: String, firstPosition: UInt64, disk: Disk) throws -> FileDescriptor {
        let path =
            directory + "/" + SegmentName.file(firstPosition: firstPosition, extension: SegmentName.segmentExtension)
        let file = try disk.open(path, flags: O_RDWR | O_CREAT | O_TRUNC)
        var header = SegmentName.magic
        header.appendLittleEndian(firstPosition)
        try file.write(header, at: 0)
        try file.sync()
        try disk.syncDirectory(directory)
        return file
    }

    static func open(directory: String, disk: Disk) throws -> Opened {
        let files = try segmentFiles(in: directory)
        var recovery = RecoveryReport()
        var nextPosition: UInt64 = 0
        var sealed: [SealedSegment] = []
        for (index, segment) in files.dropLast().enumerated() {
            let file = try FileDescriptor(path: segment.path, flags: O_RDONLY)
            let first = try SegmentScan.readSegmentHeader(file)
            guard first == nextPosition else {
                throw LogError(
                    .corrupt,
                    "sealed segment starts at position \(first), expected \(nextPosition) (a segment is missing)",
                    path: segment.path)
            }
            let scan = try SegmentScan.scan(file, segment: index, firstPosition: first, verify: false)
            if let problem = scan.problem {
                throw LogError(
                    .corrupt, "sealed segment is damaged: \(problem); run `kith log verify`", path: segment.path,
                    offset: scan.validEnd)
            }
            let count = scan.batches.reduce(0) { $0 + Int($1.header.count) }
            sealed.append(SealedSegment(path: segment.path, ordinal: index, firstPosition: first, count: count))
            nextPosition = first + UInt64(count)
        }
        let sealedKeys = try SealedSegment.keys(of: sealed, in: directory, disk: disk, recovery: &recovery)

        let active: FileDescriptor
        var activeKeys: [EventKey] = []
        var activeBatches: [BatchLocation] = []
        var activeEnd = SegmentName.headerSize
        let activeFirst: UInt64
        if let last = files.last {
            active = try disk.open(last.path, flags: O_RDWR)
            if active.size < SegmentName.headerSize {
                // Crashed while creating the segment: nothing in it was ever acknowledged.
                try active.truncate(to: 0)
                var header = SegmentName.magic
                header.appendLittleEndian(nextPosition)
                try active.write(header, at: 0)
                try active.sync()
            }
            activeFirst = try SegmentScan.readSegmentHeader(active)
            guard activeFirst == nextPosition else {
                throw LogError(
                    .corrupt, "active segment starts at position \(activeFirst), expected \(nextPosition)",
                    path: last.path)
            }
            // The keys a writer saved when it closed (see `ActiveKeysFile`) stand for the batches
            // they were made from: those are only checked (CRC), the rest decompressed and keyed.
            let saved = ActiveKeysFile.read(from: ActiveKeysFile.path(of: last.path))
            var scan = try SegmentScan.scan(
                active, segment: files.count - 1, firstPosition: activeFirst, verify: true,
                visitingFrom: saved?.batches ?? 0
            ) { _, payload in collectKeys(payload, into: &activeKeys) }
            if let saved {
                if ActiveKeysFile.matches(saved, scan.batches) {
                    activeKeys = saved.keys + activeKeys
                } else {
                    activeKeys.removeAll()
                    scan = try SegmentScan.scan(
                        active, segment: files.count - 1, firstPosition: activeFirst, verify: true
                    ) { _, payload in collectKeys(payload, into: &activeKeys) }
                }
            }
            activeBatches = scan.batches
            activeEnd = scan.validEnd
            if scan.validEnd < scan.fileSize {
                // Only a tail that was never synced is torn. A power loss can leave any pages past
                // the last sync, so whole batches after the damage are expected then; but a whole
                // batch written after the damaged bytes were synced (its `durableThrough` says
                // so), or one too old to say, means damage to acknowledged data: not cut here.
                var walker = BatchWalker(file: active)
                let expected = activeFirst + UInt64(activeKeys.count)
                var reason = scan.problem ?? "trailing bytes"
                switch try afterDamage(at: scan.validEnd, expecting: expected, in: &walker) {
                case .synced(let offset, let firstPosition):
                    throw LogError(
                        .corrupt,
                        "the active segment is damaged (\(reason)) but whole batches follow at offset \(offset) "
                            + "(position \(firstPosition)), written after the damaged bytes were synced: this is not a torn "
                            + "tail; run `kith log verify`, then `kith log repair --salvage`",
                        path: last.path, offset: scan.validEnd)
                case .unsynced(let wholeBatches) where wholeBatches > 0:
                    reason +=
                        "; \(wholeBatches) whole batches after it were never synced (a power loss) and were cut too"
                case .unsynced:
                    break
                }
                recovery.cuts.append(
                    RecoveryReport.Cut(
                        segment: last.path, offset: scan.validEnd, bytesCut: scan.fileSize - scan.validEnd,
                        reason: reason))
                try active.truncate(to: scan.validEnd)
            }
            // What a killed writer left in the page cache is made durable before new batches
            // vouch for it (`durableThrough`).
            try active.sync()
            nextPosition = activeFirst + UInt64(activeKeys.count)
        } else {
            active = try createSegment(directory: directory, firstPosition: 0, disk: disk)
            activeFirst = 0
        }
        return Opened(
            recovery: recovery,
            keys: IdempotencyKeys(
                index: sealedKeys.index, withoutIndex: sealedKeys.withoutIndex, sealed: sealedKeys.rest,
                active: activeKeys),
            active: active,
            activeFirstPosition: activeFirst, activeKeys: activeKeys, activeBatches: activeBatches,
            activeEnd: activeEnd,
            segmentCount: max(1, files.count), nextPosition: nextPosition)
    }

    /// What follows damage at `damage` in the active segment.
    enum AfterDamage {
        /// Whole batches, none written after the damaged bytes were synced: a power loss tail.
        case unsynced(wholeBatches: Int)
        /// A whole batch whose `durableThrough` passes the damage (or is 0: written before the
        /// field existed): the damaged bytes had been synced, so they held acknowledged events.
        case synced(offset: Int, firstPosition: UInt64)
    }

    static func afterDamage(at damage: Int, expecting position: UInt64, in walker: inout BatchWalker) throws
        -> AfterDamage
    {
        var probe = damage
        var whole = 0
        while let next = try walker.nextWhole(after: probe, skipping: nil, expecting: position) {
            guard case .whole(let header, _) = try walker.read(at: next.offset, expecting: nil) else { break }
            if header.durableThrough == 0 || Int(header.durableThrough) > damage {
                return .synced(offset: next.offset, firstPosition: next.firstPosition)
            }
            whole += 1
            probe = next.offset + header.totalLength - 1
        }
        return .unsynced(wholeBatches: whole)
    }

    static func collectKeys(_ payload: UnsafeRawBufferPointer, into keys: inout [EventKey]) {
        SegmentScan.forEachLine(payload) { line in
            // Lines in the log were written canonical by Kith; a line that is not still holds
            // its place, so it gets a key of its bytes rather than being dropped.
            keys.append(CanonicalLine.key(of: line) ?? EventKey(hashing: line))
        }
    }
}
