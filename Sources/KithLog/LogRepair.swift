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
        try self.init(directory: directory, salvage: salvage, setAside: setAside, disk: .real)
    }

    /// A repair whose durable operations go through `disk` (crash tests watch it).
    package init(directory: String, salvage: Bool, setAside: String, disk: Disk) throws {
        try Self.finishInterruptedSalvage(directory, disk: disk)
        let lock = try DirectoryLock(directory: directory, purpose: "kith log repair")
        defer { withExtendedLifetime(lock) {} }
        let check = try LogCheck(directory: directory)
        found = check.problems
        if check.isClean { return }
        if salvage && !check.onlySafeRepairs {
            let salvaged = try Self.salvage(directory, check: check, setAside: setAside, disk: disk)
            self.salvage = salvaged
            actions.append(
                "copied \(salvaged.keptEvents) intact events into a new log; the damaged log is at \(setAside)")
        } else {
            try cutTornTail(directory, check)
            try rebuildKeys(directory, check)
            try removeColumns(directory, check)
            try removeKeyIndex(directory, check)
            try removeActiveKeys(directory, check)
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
        for (file, keys) in check.keysToWrite.sorted(by: { $0.key < $1.key }) {
            try KeysFile.write(keys, to: directory + "/" + file)
            actions.append("\(file): rebuilt from its segment (\(keys.count) keys)")
        }
    }

    private mutating func removeKeyIndex(_ directory: String, _ check: LogCheck) throws {
        guard check.removeKeyIndex else { return }
        try Disk.real.removeFile(directory + "/" + KeyIndex.fileName)
        actions.append("\(KeyIndex.fileName): removed; the next writer to open the log makes it again")
    }

    private mutating func removeActiveKeys(_ directory: String, _ check: LogCheck) throws {
        for file in check.activeKeysToRemove.sorted() {
            try Disk.real.removeFile(directory + "/" + file)
            actions.append("\(file): removed; the next writer reads the active segment's keys from its lines")
        }
    }

    private mutating func removeColumns(_ directory: String, _ check: LogCheck) throws {
        for file in check.columnsToRemove.sorted() {
            try Disk.real.removeFile(directory + "/" + file)
            actions.append("\(file): removed; the next projection that reads its segment whole makes it again")
        }
    }

    /// The marker a finished salvage copy carries until it has replaced the damaged log.
    static let salvagedMarker = "SALVAGED"

    private static func salvage(_ directory: String, check: LogCheck, setAside: String, disk: Disk) throws -> Salvage {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: setAside) else {
            throw LogError(.invalidArgument, "the set-aside folder already exists", path: setAside)
        }
        let fresh = directory + ".salvage"
        try? fm.removeItem(atPath: fresh)
        var kept = 0
        do {
            let writer = try EventLogWriter(directory: fresh, options: .init(), disk: disk)
            var chunk = EncodedLines()
            _ = try LogCheck(directory: directory) { _, line in
                // Records that are not events stay behind in the set-aside log; the writer drops
                // repeats of an event, as it does on ingest.
                guard let key = CanonicalLine.key(of: line) else { return }
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
        // The copy is whole: mark it so, so that a crash between the two renames below is
        // finished by whoever opens the log next, instead of a writer starting an empty log.
        let marker = try disk.open(fresh + "/" + salvagedMarker, flags: O_WRONLY | O_CREAT | O_TRUNC)
        try marker.sync()
        try disk.syncDirectory(fresh)
        try disk.createDirectory(FilePaths.parent(of: setAside))
        try disk.rename(directory, to: setAside)
        try disk.syncDirectory(FilePaths.parent(of: setAside))
        try disk.syncDirectory(FilePaths.parent(of: directory))
        try finishInterruptedSalvage(directory, disk: disk)
        let lost = check.problems.filter { $0.kind == .damaged }
        return Salvage(
            keptEvents: kept, lostEvents: lost.reduce(0) { $0 + $1.events },
            lostPositions: lost.compactMap(\.positions),
            setAside: setAside)
    }

    /// Puts a finished salvage copy in place of a log a crashed repair had already set aside.
    /// Opening a log calls it, so an interrupted repair never looks like an empty log.
    package static func finishInterruptedSalvage(_ directory: String, disk: Disk) throws {
        let fresh = directory + ".salvage"
        let fm = FileManager.default
        if fm.fileExists(atPath: fresh + "/" + salvagedMarker), !fm.fileExists(atPath: directory) {
            try disk.rename(fresh, to: directory)
            try disk.syncDirectory(FilePaths.parent(of: directory))
        }
        // The marker left in the log itself only says the swap is done.
        if fm.fileExists(atPath: directory + "/" + salvagedMarker) {
            try disk.removeFile(directory + "/" + salvagedMarker)
            try disk.syncDirectory(directory)
        }
    }
}
