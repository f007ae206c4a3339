import Foundation

/// `DIR/quarantine/quarantine.ndjson`: one typed record per line that could not land.
///
/// Appends are fsynced before the batch they came from is acknowledged; `replace` rewrites the
/// file atomically (temp file, fsync, rename) after a retry.
public final class QuarantineStore {
    public let directory: String
    public var path: String { directory + "/quarantine.ndjson" }
    private var knownIDs: Set<String> = []
    private var handle: FileHandle?
    private let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    public init(directory: String) throws {
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        knownIDs = Set(try records().map(\.id))
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
        var out = Data()
        var added = 0
        for r in records where knownIDs.insert(r.id).inserted {
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
