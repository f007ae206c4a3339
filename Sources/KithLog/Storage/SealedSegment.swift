#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import KithCore

/// A sealed segment as a writer opening the log finds it, and where its idempotency keys come
/// from: the key index for the first segments, the segment's own `.keys` file for the rest, and
/// the segment itself when that file is missing or damaged.
struct SealedSegment {
    var path: String
    var ordinal: Int
    var firstPosition: UInt64
    var count: Int

    var keysPath: String { SegmentName.keysPath(of: path) }

    /// The sealed segments' keys, as a writer holds them.
    struct Keys {
        var index: KeyIndex?
        /// The keys of the segments the index does not cover, one sorted array each.
        var rest: [SealedKeys]
        /// The index's keys from the segments' own files, for a writer that finds a block of the
        /// index damaged; it also removes the index, so the next opening makes it again.
        var withoutIndex: () throws -> [SealedKeys]
    }

    /// Segments sealed since the index was made, past which opening makes the index again over
    /// every sealed segment. Below it the segments' own keys are searched: a few arrays cost
    /// little, and making the index reads all the keys once.
    static let indexAfter = 4

    /// Where `sealed`'s keys come from. Uses `keys.index` if it covers a prefix of them (by
    /// their `.keys` files' CRCs, so a segment rewritten since is noticed); makes it again over
    /// all of them once `indexAfter` segments lie beyond it.
    static func keys(of sealed: [SealedSegment], in directory: String, disk: Disk, recovery: inout RecoveryReport)
        throws -> Keys
    {
        let indexPath = directory + "/" + KeyIndex.fileName
        var index = KeyIndex.open(indexPath)
        if let found = index, !found.covers(sealed.prefix(found.segments).map { $0.covered() }) { index = nil }
        var covered = index?.segments ?? 0
        if sealed.count - covered >= indexAfter {
            var arrays: [[EventKey]] = []
            if let index, let all = try? index.allKeys() { arrays.append(all) } else { covered = 0 }
            for segment in sealed[covered...] {
                arrays.append(try segment.keys(disk: disk, recovery: &recovery).withKeys(Array.init))
            }
            let merged = IdempotencyKeys.merged(arrays)
            let coverage = sealed.map { $0.covered() }
            if coverage.allSatisfy({ $0 != nil }) {
                try merged.withUnsafeBufferPointer {
                    try KeyIndex.write(
                        $0, segments: sealed.count, coverage: KeyIndex.coverage(of: coverage.compactMap { $0 }),
                        to: indexPath, disk: disk)
                }
                index = KeyIndex.open(indexPath)
            } else {
                index = nil
            }
            // The keys just merged serve this opening if the index cannot be read back.
            guard index != nil else {
                return Keys(index: nil, rest: [SealedKeys(owning: merged)], withoutIndex: { [] })
            }
            covered = sealed.count
        }
        var rest: [SealedKeys] = []
        for segment in sealed[covered...] { rest.append(try segment.keys(disk: disk, recovery: &recovery)) }
        let coveredSegments = Array(sealed[..<covered])
        return Keys(
            index: covered > 0 ? index : nil, rest: rest,
            withoutIndex: {
                try? disk.removeFile(indexPath)
                var ignored = RecoveryReport()
                return try coveredSegments.map { try $0.keys(disk: disk, recovery: &ignored) }
            })
    }

    /// The segment's part in the key index's coverage, from its `.keys` file's header.
    func covered() -> KeyIndex.Covered? {
        KeysFile.storedCRC(at: keysPath).map {
            KeyIndex.Covered(firstPosition: firstPosition, count: count, keysCRC: $0)
        }
    }

    /// The segment's keys, sorted: its `.keys` file mapped, or read and sorted (a file written
    /// in log order by an earlier version), or made again from the segment.
    func keys(disk: Disk, recovery: inout RecoveryReport) throws -> SealedKeys {
        if let mapped = SealedKeys.mapping(keysPath, expectedCount: count) { return mapped }
        if var keys = KeysFile.read(from: keysPath, expectedCount: count) {
            if !KeysFile.isSorted(keys) {
                // Written in log order by an earlier version: sorted once, for binary search.
                keys.sort { $0.precedes($1) }
                try KeysFile.write(keys, to: keysPath, disk: disk)
            }
            return SealedKeys(owning: keys)
        }
        var keys: [EventKey] = []
        let file = try FileDescriptor(path: path, flags: O_RDONLY)
        let verified = try SegmentScan.scan(file, segment: ordinal, firstPosition: firstPosition, verify: true) {
            _, payload in LogOpening.collectKeys(payload, into: &keys)
        }
        if let problem = verified.problem {
            throw LogError(.corrupt, "sealed segment is damaged: \(problem)", path: path, offset: verified.validEnd)
        }
        keys.sort { $0.precedes($1) }
        try KeysFile.write(keys, to: keysPath, disk: disk)
        recovery.rebuiltKeyFiles.append(keysPath)
        return SealedKeys(owning: keys)
    }
}
