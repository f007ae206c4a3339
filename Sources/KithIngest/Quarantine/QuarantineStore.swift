import Foundation

/// `DIR/quarantine/quarantine.ndjson`: one typed record per line that could not land.
///
/// Appends are fsynced before the batch they came from is acknowledged; `replace` rewrites the
/// file atomically (temp file, fsync, rename) after a retry.
public final class QuarantineStore {
    public let directory: String
    public var path: String { directory + "/quarantine.ndjson" }
    /// Ids already quarantined, read on the first append (most ingests quarantine nothing).
    private var knownIDs: Set<String>?
    private var handle: FileHandle?
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    /// The size the quarantine may reach (`KITH_QUARANTINE_MAX_MB`, default 1 GiB): past it an
    /// ingest is refused before it starts rather than losing the bad lines it would bring.
    public var maximumBytes: Int

    public init(directory: String, maximumBytes: Int? = nil) throws {
        self.directory = directory
        self.maximumBytes =
            maximumBytes ?? ProcessInfo.processInfo.environment["KITH_QUARANTINE_MAX_MB"].flatMap { Int($0) }.map { $0 << 20 }
            ?? 1 << 30
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
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
                    + "kith quarantine list, retry or drop what is fixed, or raise KITH_QUARANTINE_MAX_MB; nothing was ingested")
        }
    }

    /// The ids of the stored records. Records are written with sorted keys and every string
    /// escaped, so the first `"id":"` of a line is the record's id; a line where it is not found
    /// is decoded in full.
    private func storedIDs() -> Set<String> {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let marker = Array(#""id":""#.utf8)
        var ids = Set<String>()
        let decoder = JSONDecoder()
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) in
            guard let base = bytes.baseAddress else { return }
            var start = 0
            while start < bytes.count {
                let end = memchr(base + start, 0x0A, bytes.count - start).map { base.distance(to: UnsafeRawPointer($0)) }
                    ?? bytes.count
                let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                if let from = Self.end(of: marker, in: line), let close = line[from...].firstIndex(of: UInt8(ascii: "\"")) {
                    ids.insert(String(decoding: line[from..<close], as: UTF8.self))
                } else if !line.isEmpty, let record = try? decoder.decode(QuarantineRecord.self, from: Data(line)) {
                    ids.insert(record.id)
                }
                start = end + 1
            }
        }
        return ids
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
        for r in records where known.insert(r.id).inserted {
            out.append(try encoder.encode(r))
            out.append(0x0A)
            added += 1
        }
        guard !out.isEmpty else { return 0 }
        if handle == nil {
            if !FileManager.default.fileExists(atPath: path) {
                _ = FileManager.default.createFile(atPath: path, contents: nil)
            }
            handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        }
        guard let handle else { return 0 }
        try handle.seekToEnd()
        try handle.write(contentsOf: out)
        try handle.synchronize()
        return added
    }

    /// Atomically replaces the store's contents.
    public func replace(with records: [QuarantineRecord]) throws {
        try handle?.close()
        handle = nil
        var out = Data()
        for r in records {
            out.append(try encoder.encode(r))
            out.append(0x0A)
        }
        let temp = path + ".tmp"
        _ = FileManager.default.createFile(atPath: temp, contents: out)
        let h = try FileHandle(forWritingTo: URL(fileURLWithPath: temp))
        try h.synchronize()
        try h.close()
        if rename(temp, path) != 0 {
            throw IngestError(.unreadableFile, "cannot replace the quarantine file", file: path)
        }
        knownIDs = Set(records.map(\.id))
    }
}
