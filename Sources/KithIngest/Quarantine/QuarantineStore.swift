import Foundation
import KithCore
import KithLog

/// `DIR/quarantine/quarantine.ndjson`: one typed record per line that could not land.
///
/// Appends are synced before the batch they came from is acknowledged; `replace` rewrites the
/// file atomically (temp file, sync, rename, directory sync) after a retry. A power loss can cut
/// the last append short; that batch was never acknowledged, so its part-line is cut off before
/// the next append.
public final class QuarantineStore {
    public let directory: String
    public var path: String { directory + "/quarantine.ndjson" }
    /// Ids already quarantined, read on the first append (most ingests quarantine nothing), as
    /// hashes of their bytes (`idKey`).
    private var knownIDs: Set<EventKey>?
    private var handle: FileDescriptor?
    private let disk: Disk
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// The size the quarantine may reach (`KITH_QUARANTINE_MAX_MB`, default 1 GiB): past it an
    /// ingest is refused before it starts rather than losing the bad lines it would bring.
    public var maximumBytes: Int

    public convenience init(directory: String, maximumBytes: Int? = nil) throws {
        try self.init(directory: directory, maximumBytes: maximumBytes, disk: .real)
    }

    /// A store whose writes go through `disk` (crash tests watch it).
    package init(directory: String, maximumBytes: Int? = nil, disk: Disk) throws {
        self.directory = directory
        self.disk = disk
        self.maximumBytes =
            maximumBytes ?? ProcessInfo.processInfo.environment["KITH_QUARANTINE_MAX_MB"].flatMap { Int($0) }.map {
                $0 << 20
            }
            ?? 1 << 30
        do { try disk.createDirectory(directory) } catch {
            throw IngestError(.io, "cannot create the quarantine folder: \(error)", file: directory)
        }
    }

    /// The quarantine file's size in bytes.
    public var size: Int {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.intValue ?? 0
    }

    /// Throws `quarantineFull`, saying what to do, when the quarantine is at its bound.
    public func checkRoom() throws {
        let used = size
        guard used < maximumBytes else {
            throw IngestError(
                .quarantineFull,
                "the quarantine holds \(used >> 20) MiB, its bound is \(maximumBytes >> 20) MiB: review it with "
                    + "kith quarantine list, retry or drop what is fixed, or raise KITH_QUARANTINE_MAX_MB; nothing was ingested"
            )
        }
    }

    /// The ids of the stored records. Records are written with sorted keys and every string
    /// escaped, so the first `"id":"` of a line is the record's id; a line where it is not found
    /// is decoded in full.
    ///
    /// Every ingest that quarantines a line reads them all, so the file is read in 1 MiB chunks
    /// into one buffer and each id hashed where it lies: read whole into fresh memory, with a
    /// `String` and a set entry of strings per record, 11.8 MB took 20 ms of a 10,000-event
    /// increment.
    private func storedIDs() -> Set<EventKey> {
        guard let file = try? FileDescriptor(path: path, flags: O_RDONLY) else { return [] }
        let marker = Array(#""id":""#.utf8)
        var ids = Set<EventKey>()
        let decoder = JSONDecoder()
        func take(_ line: UnsafeRawBufferPointer) {
            if let from = Self.end(of: marker, in: line),
                let close = line[from...].firstIndex(of: UInt8(ascii: "\""))
            {
                ids.insert(Self.idKey(UnsafeRawBufferPointer(rebasing: line[from..<close])))
            } else if !line.isEmpty, let record = try? decoder.decode(QuarantineRecord.self, from: Data(line)) {
                ids.insert(Self.idKey(record.id))
            }
        }
        let size = file.size
        let capacity = min(size, 1 << 20)
        var buffer = [UInt8](unsafeUninitializedCapacity: capacity) { $1 = capacity }  // read into, never zeroed
        ids.reserveCapacity(size / 400)
        var partial: [UInt8] = []  // a line the last chunk ended inside
        var offset = 0
        while offset < size {
            guard let read = try? buffer.withUnsafeMutableBytes({ try file.read(into: $0, at: offset) }), read > 0
            else { break }
            offset += read
            buffer.withUnsafeBytes { whole in
                let bytes = UnsafeRawBufferPointer(rebasing: whole[0..<read])
                guard let base = bytes.baseAddress else { return }
                var start = 0
                while start < bytes.count,
                    let hit = memchr(base + start, 0x0A, bytes.count - start)
                {
                    let end = base.distance(to: UnsafeRawPointer(hit))
                    if partial.isEmpty {
                        take(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                    } else {
                        partial.append(contentsOf: bytes[start..<end])
                        partial.withUnsafeBytes { take($0) }
                        partial.removeAll(keepingCapacity: true)
                    }
                    start = end + 1
                }
                partial.append(contentsOf: bytes[start...])
            }
        }
        partial.withUnsafeBytes { take($0) }
        return ids
    }

    /// An id as the set of known ids holds it.
    static func idKey(_ id: String) -> EventKey {
        var id = id
        return id.withUTF8 { EventKey(hashing: $0) }
    }

    static func idKey(_ bytes: UnsafeRawBufferPointer) -> EventKey {
        EventKey(hashing: bytes.assumingMemoryBound(to: UInt8.self))
    }

    /// The offset just past the first occurrence of `marker` (which starts with a quote).
    private static func end(of marker: [UInt8], in line: UnsafeRawBufferPointer) -> Int? {
        guard let base = line.baseAddress else { return nil }
        var i = 0
        while i + marker.count <= line.count, let hit = memchr(base + i, Int32(marker[0]), line.count - i) {
            let at = base.distance(to: UnsafeRawPointer(hit))
            guard at + marker.count <= line.count else { return nil }
            if memcmp(base + at, marker, marker.count) == 0 { return at + marker.count }
            i = at + 1
        }
        return nil
    }

    /// Every quarantined record, oldest first. A damaged line in the store itself is skipped.
    public func records() throws -> [QuarantineRecord] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let decoder = JSONDecoder()
        return data.split(separator: 0x0A).compactMap { try? decoder.decode(QuarantineRecord.self, from: Data($0)) }
    }

    /// Appends the records not already quarantined; returns how many were new.
    @discardableResult
    public func append(_ records: [QuarantineRecord]) throws -> Int {
        guard !records.isEmpty else { return 0 }
        var known = knownIDs ?? storedIDs()
        defer { knownIDs = known }
        var out = Data()
        var added = 0
        for r in records where known.insert(Self.idKey(r.id)).inserted {
            out.append(try encoder.encode(r))
            out.append(0x0A)
            added += 1
        }
        guard !out.isEmpty else { return 0 }
        do {
            let file = try openForAppending()
            try out.withUnsafeBytes { try file.write($0, at: file.size) }
            try file.sync()
        } catch {
            throw IngestError(.io, "cannot append to the quarantine: \(error)", file: path)
        }
        return added
    }

    /// The file, open for writing at its end. A power loss can leave its last line without its
    /// line break: a whole record is kept (readers already show it) and given its line break; a
    /// part of one is cut off, so the next record starts on a line of its own.
    private func openForAppending() throws -> FileDescriptor {
        if let handle { return handle }
        let existed = FileManager.default.fileExists(atPath: path)
        let file = try disk.open(path, flags: O_WRONLY | O_CREAT, mode: 0o600)
        if !existed { try disk.syncDirectory(directory) }
        if let unfinished = try unfinishedLastLine() {
            if (try? JSONDecoder().decode(QuarantineRecord.self, from: Data(unfinished.bytes))) != nil {
                try file.write([0x0A], at: unfinished.start + unfinished.bytes.count)
            } else {
                try file.truncate(to: unfinished.start)
            }
            try file.sync()
        }
        handle = file
        return file
    }

    /// The last line and where it starts, when it has no line break; nil when the file ends with
    /// one (or is empty). Read back from the end, so a large quarantine is not read whole.
    private func unfinishedLastLine() throws -> (start: Int, bytes: [UInt8])? {
        let reader = try FileDescriptor(path: path, flags: O_RDONLY)
        var end = reader.size
        var line: [UInt8] = []
        while end > 0 {
            let start = max(0, end - 65_536)
            var chunk = [UInt8](repeating: 0, count: end - start)
            _ = try chunk.withUnsafeMutableBytes { try reader.read(into: $0, at: start) }
            if line.isEmpty && end == reader.size && chunk.last == 0x0A { return nil }
            if let newline = chunk.lastIndex(of: 0x0A) {
                return (start + newline + 1, Array(chunk[(newline + 1)...]) + line)
            }
            line = chunk + line
            end = start
        }
        return line.isEmpty ? nil : (0, line)
    }

    /// Atomically replaces the store's contents.
    public func replace(with records: [QuarantineRecord]) throws {
        handle = nil
        var out = Data()
        for r in records {
            out.append(try encoder.encode(r))
            out.append(0x0A)
        }
        let temporary = path + ".tmp"
        do {
            let file = try disk.open(temporary, flags: O_WRONLY | O_CREAT | O_TRUNC, mode: 0o600)
            try out.withUnsafeBytes { try file.write($0, at: 0) }
            try file.sync()
            try disk.rename(temporary, to: path)
            try disk.syncDirectory(directory)
        } catch {
            throw IngestError(.io, "cannot replace the quarantine file: \(error)", file: path)
        }
        knownIDs = Set(records.map { Self.idKey($0.id) })
    }
}
