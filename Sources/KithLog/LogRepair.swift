import Foundation
import KithCore

/// Brings a damaged log back to one that opens and reads, losing nothing that is intact.
///
/// Without `salvage` it only does what is provably safe: cut a torn tail (a batch at the end of
/// the active segment that was never completed, so never acknowledged) and rebuild derived
/// `.keys` files. Damage to acknowledged events is reported and left alone. With `salvage` it
/// copies every intact event into a new log (positions renumbered, so projections must be
/// rebuilt) and sets the damaged log aside untouched.
public struct LogRepair: Codable, Sendable {
    public struct Salvage: Codable, Sendable {
        public var keptEvents: Int
        public var lostEvents: Int
        public var lostPositions: [String]
        /// Where the damaged log now lies, byte for byte as it was found.
        public var setAside: String

        enum CodingKeys: String, CodingKey {
            case keptEvents = "kept_events"
            case lostEvents = "lost_events"
            case lostPositions = "lost_positions"
            case setAside = "set_aside"
        }
    }

    public var found: [LogCheck.Problem] = []
    public var actions: [String] = []
    public var salvage: Salvage?
    /// What is still wrong afterwards (damage left alone without `salvage`).
    public var remaining: [LogCheck.Problem] = []

    enum CodingKeys: String, CodingKey { case found, actions, salvage, remaining }

    /// Repairs the log in `directory` under its writer lock. `setAside` is where a salvaged
    /// log's original goes (it must not exist yet).
    public init(directory: String, salvage: Bool, setAside: String) throws {
        let check: LogCheck
        do {
            let lock = try DirectoryLock(directory: directory, purpose: "kith log repair")
            check = try LogCheck(directory: directory)
            found = check.problems
            if check.isClean { return }
            if salvage && !check.onlySafeRepairs {
                self.salvage = try Self.salvage(directory, check: check, setAside: setAside, lock: lock)
                actions.append(
                    "copied \(self.salvage!.keptEvents) intact events into a new log; the damaged log is at \(setAside)")
                remaining = try LogCheck(directory: directory).problems
                return
            }
            try cutTornTail(directory, check)
            try rebuildKeys(directory, check)
            withExtendedLifetime(lock) {}
        }
        remaining = try LogCheck(directory: directory).problems
    }

    private mutating func cutTornTail(_ directory: String, _ check: LogCheck) throws {
        guard let last = check.segments.last, !last.sealed,
            check.problems.contains(where: { $0.kind == .tornTail && $0.file == last.file })
        else { return }
        let path = directory + "/" + last.file
        let file = try FileDescriptor(path: path, flags: O_RDWR)
        if file.size < SegmentName.headerSize || (try? SegmentScan.readSegmentHeader(file)) == nil {
            // Crashed while creating the segment: it never held an event.
            try file.truncate(to: 0)
            var header = SegmentName.magic
            header.appendLittleEndian(last.firstPosition)
            try file.write(header, at: 0)
            try file.sync()
            actions.append("\(last.file): rewrote the header of a segment that was being created")
            return
        }
        let cut = file.size - last.validEnd
        try file.truncate(to: last.validEnd)
        try file.sync()
        actions.append("\(last.file): cut \(cut) bytes of torn tail at offset \(last.validEnd)")
    }

    private mutating func rebuildKeys(_ directory: String, _ check: LogCheck) throws {
        for problem in check.problems where problem.kind == .keysFile {
            let keysPath = directory + "/" + problem.file
            let segmentPath = String(keysPath.dropLast(SegmentName.keysExtension.count)) + SegmentName.segmentExtension
            guard let segment = check.segments.first(where: { directory + "/" + $0.file == segmentPath }) else { continue }
            let file = try FileDescriptor(path: segmentPath, flags: O_RDONLY)
            var keys: [EventKey] = []
            _ = try SegmentScan.scan(file, segment: 0, firstPosition: segment.firstPosition, verify: true) { _, payload in
                LogOpening.collectKeys(payload, into: &keys)
            }
            try KeysFile.write(keys, to: keysPath)
            actions.append("\(problem.file): rebuilt from its segment (\(keys.count) keys)")
        }
    }

    private static func salvage(_ directory: String, check: LogCheck, setAside: String, lock: DirectoryLock) throws
        -> Salvage
    {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: setAside) else {
            throw LogError(.invalidArgument, "the set-aside folder already exists", path: setAside)
        }
        let fresh = directory + ".salvage"
        try? fm.removeItem(atPath: fresh)
        var kept = 0
        do {
            let writer = try EventLogWriter(directory: fresh, options: .init())
            var chunk = EncodedLines()
            try LogCheck(directory: directory) { _, line in
                // Records that are not events, or repeat one, stay behind in the set-aside log.
                guard let key = CanonicalLine.key(of: line), !writer.contains(key), !chunk.keys.contains(key) else { return }
                chunk.bytes.append(contentsOf: line)
                chunk.endLine(key: key)
                if chunk.bytes.count >= 4 << 20 {
                    kept += try writer.append(chunk).appended
                    chunk.removeAll()
                }
            }
            if !chunk.isEmpty { kept += try writer.append(chunk).appended }
            try writer.close()
        }
        try fm.createDirectory(atPath: (setAside as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try fm.moveItem(atPath: directory, toPath: setAside)
        try fm.moveItem(atPath: fresh, toPath: directory)
        try FileDescriptor.syncDirectory((directory as NSString).deletingLastPathComponent)
        withExtendedLifetime(lock) {}
        let lost = check.problems.filter { $0.kind == .damaged }
        return Salvage(
            keptEvents: kept, lostEvents: lost.reduce(0) { $0 + $1.events }, lostPositions: lost.compactMap(\.positions),
            setAside: setAside)
    }
}
