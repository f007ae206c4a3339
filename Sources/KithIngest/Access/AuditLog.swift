import Foundation
import KithCore

#if canImport(Glibc)
import Glibc
#endif

/// The append-only record of every unmasked look at personal data (`DIR/audit/audit.ndjson`).
/// Each record carries the SHA-256 of the line before it, so `kith audit list` can tell a log
/// that was only ever appended to from one that was edited or cut.
public final class AuditLog: @unchecked Sendable {
    public struct Record: Codable, Sendable, Equatable {
        public var at: String
        public var key: String
        public var keyID: String
        public var route: String
        public var profile: String?
        public var status: Int
        /// SHA-256 of the previous line ("" for the first record).
        public var previous: String

        public init(at: String, key: String, keyID: String, route: String, profile: String?, status: Int, previous: String = "") {
            self.at = at
            self.key = key
            self.keyID = keyID
            self.route = route
            self.profile = profile
            self.status = status
            self.previous = previous
        }

        enum CodingKeys: String, CodingKey {
            case at, key, route, profile, status, previous
            case keyID = "key_id"
        }
    }

    public let file: String
    private let lock = NSLock()
    private var fd: Int32 = -1
    private var lastLineDigest: String?

    public init(_ directory: DataDirectory) {
        file = directory.path + "/audit/audit.ndjson"
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends one record durably (fsync) before the response that it accounts for is sent.
    public func append(_ record: Record) throws {
        lock.lock()
        defer { lock.unlock() }
        if fd < 0 {
            try FileManager.default.createDirectory(
                atPath: (file as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
            guard fd >= 0 else { throw IngestError(.io, "cannot open the audit log \(file): \(String(cString: strerror(errno)))") }
            lastLineDigest = AuditLog.lastLine(of: file).map { SHA256.hex($0.utf8) } ?? ""
        }
        var chained = record
        chained.previous = lastLineDigest ?? ""
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let line = String(decoding: try encoder.encode(chained), as: UTF8.self)
        let bytes = Array((line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw IngestError(.io, "cannot append to the audit log \(file): \(String(cString: strerror(errno)))")
        }
        lastLineDigest = SHA256.hex(line.utf8)
    }

    public struct Listing: Sendable {
        public var records: [Record]
        /// 1-based line numbers whose `previous` does not match the line before: edits or cuts.
        public var brokenAt: [Int]
        public var unreadable: [Int]
    }

    /// Every record, with the chain checked.
    public func list() throws -> Listing {
        guard let data = FileManager.default.contents(atPath: file) else {
            return Listing(records: [], brokenAt: [], unreadable: [])
        }
        var listing = Listing(records: [], brokenAt: [], unreadable: [])
        var previous = ""
        let decoder = JSONDecoder()
        for (i, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let record = try? decoder.decode(Record.self, from: Data(line.utf8)) else {
                listing.unreadable.append(i + 1)
                previous = SHA256.hex(line.utf8)
                continue
            }
            if record.previous != previous { listing.brokenAt.append(i + 1) }
            listing.records.append(record)
            previous = SHA256.hex(line.utf8)
        }
        return listing
    }

    static func lastLine(of file: String) -> String? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n").last.map(String.init)
    }
}
