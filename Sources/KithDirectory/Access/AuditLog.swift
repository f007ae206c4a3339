import Foundation
import KithCore
import KithLog

#if canImport(Glibc)
    import Glibc
#endif

/// The append-only record of every unmasked look at personal data (`DIR/audit/audit.ndjson`).
///
/// Each record carries a keyed hash (HMAC-SHA256 with a key derived from the installation
/// secret) of the line before it, so a rewritten chain cannot be made to pass without the
/// secret. A head record (`DIR/audit.head`: the count and the last line's hash, itself keyed)
/// lives apart from the log, so cutting records off the end, emptying the file or deleting it
/// shows too: `kith audit verify` says where. Records written before heads existed are sealed
/// as they are when a server first opens the log (`legacy`), and checked with the plain
/// SHA-256 chain they were written with.
public final class AuditLog: @unchecked Sendable {
    public struct Record: Codable, Sendable, Equatable {
        public var at: String
        public var key: String
        public var keyID: String
        public var route: String
        public var profile: String?
        public var status: Int
        /// The keyed hash of the previous line ("" for the first record).
        public var previous: String

        public init(
            at: String, key: String, keyID: String, route: String, profile: String?, status: Int, previous: String = ""
        ) {
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
    public let headFile: String
    private let key: [UInt8]
    private let directory: DataDirectory
    private let lock = NSLock()
    private var handle: FileDescriptor?

    public init(_ directory: DataDirectory, secret: InstallationSecret) {
        self.directory = directory
        file = directory.path + "/audit/audit.ndjson"
        headFile = directory.path + "/audit.head"
        key = secret.key(for: "audit chain")
    }

    /// The directory's audit log, keyed with its installation secret.
    public convenience init(_ directory: DataDirectory) throws {
        self.init(directory, secret: try InstallationSecret.of(directory))
    }

    private var folder: String { directory.path + "/audit" }

    /// Appends one record durably (synced, then the head) before the answer it accounts for is
    /// sent. Throws, so that nothing personal is sent, when the log cannot be written, was cut,
    /// or was deleted or replaced while open. Several servers on one data directory append in
    /// turn: each append holds the file's lock and reads the head afresh.
    public func append(_ record: Record) throws {
        try locked { handle in
            try checkStillInPlace(handle)
            var head = try currentHead(handle)
            var chained = record
            chained.previous = head.count == 0 ? "" : head.last
            let line = AuditLog.encode(chained)
            let bytes = Array((line + "\n").utf8)
            do {
                // At the head's size, not O_APPEND: currentHead checked that the file ends there.
                try handle.write(bytes, at: head.size)
                try handle.sync()
            } catch {
                throw DirectoryError(.io, "cannot append to the audit log: \(error)")
            }
            head.count += 1
            head.last = link(line)
            head.size += bytes.count
            try save(head)
        }
    }

    /// Opens the log for appending after checking it whole; seals a log written before heads
    /// existed, and sets aside an append a crash cut short. Throws when the log fails
    /// verification.
    public func prepare() throws {
        try locked { handle in _ = try currentHead(handle) }
    }

    /// Runs `body` with the log open and its file lock held (the process's lock too).
    private func locked(_ body: (FileDescriptor) throws -> Void) throws {
        lock.lock()
        defer { lock.unlock() }
        let opened = try openIfNeeded()
        guard flock(opened.fd, LOCK_EX) == 0 else { throw DirectoryError(.io, "cannot lock the audit log") }
        defer { flock(opened.fd, LOCK_UN) }
        if handle == nil {
            // The whole chain is checked once, when this process first opens the log.
            let head = try currentHead(opened)
            let check = verify(lines: AuditLog.lines(of: file) ?? [], head: head)
            guard check.isIntact else {
                throw DirectoryError(
                    .io, "the audit log fails verification (\(check.problems[0])); see kith audit verify")
            }
            handle = opened
        }
        try body(opened)
    }

    private func openIfNeeded() throws -> FileDescriptor {
        if let handle { return handle }
        let disk = directory.disk
        do { try disk.createDirectory(folder) } catch { throw DirectoryError(.io, "cannot create \(folder): \(error)") }
        let existed = FileManager.default.fileExists(atPath: file)
        if !existed, let stored = try AuditHead.load(headFile, key: key), stored.count > 0 {
            throw DirectoryError(
                .io, "the audit log is missing but its head records \(stored.count) record(s); see kith audit verify")
        }
        do {
            let opened = try disk.open(file, flags: O_WRONLY | O_CREAT, mode: 0o600)
            // A new log's name must outlive a power loss before a head can count its records.
            if !existed { try disk.syncDirectory(folder) }
            return opened
        } catch {
            throw DirectoryError(.io, "cannot open the audit log: \(error)")
        }
    }

    /// The head as it is on disk (another server may have appended since), with the log's size
    /// checked against it: a shorter log was cut; one more whole, chained record is one a writer
    /// synced before it stopped, and is taken into the head; part of one is an append a crash
    /// cut short (its answer was never sent), and is set aside. The caller holds the file lock.
    private func currentHead(_ handle: FileDescriptor) throws -> AuditHead {
        let size = handle.size
        guard var head = try AuditHead.load(headFile, key: key) else {
            // No head: a new log, or one from before heads, sealed as it is (its records are
            // chained with plain SHA-256). A keyed chain without its head was cut or rewritten.
            let lines = AuditLog.lines(of: file) ?? []
            if lines.count > 1, let last = lines.last,
                let record = try? JSONDecoder().decode(Record.self, from: Data(last.utf8)),
                record.previous != SHA256.hex(lines[lines.count - 2].utf8)
            {
                throw DirectoryError(.io, "the audit head audit.head is missing; see kith audit verify")
            }
            let head = AuditHead(count: lines.count, last: lines.last.map(link) ?? "", legacy: lines.count, size: size)
            try save(head)
            return head
        }
        if size < head.size {
            throw DirectoryError(
                .io, "the audit log is shorter than its head records: records were cut; see kith audit verify")
        }
        if size > head.size {
            let tail = AuditLog.tail(of: file, from: head.size) ?? []
            switch classify(tail, after: head) {
            case .record(let line):
                head.count += 1
                head.last = link(line)
                head.size = size
                try save(head)
            case .unfinished:
                try setAside(tail, of: handle, keeping: head.size)
            case .foreign:
                throw DirectoryError(.io, "the audit log holds records its head does not: see kith audit verify")
            }
        }
        return head
    }

    /// What follows the last record a head counts.
    enum Tail: Equatable {
        /// One whole record chained to the head: synced by a writer that stopped before its head.
        case record(String)
        /// Part of one record (no line break before its end): an append a crash cut short.
        case unfinished
        /// More than one record, or one that does not chain: written by something else.
        case foreign
    }

    func classify(_ tail: [UInt8], after head: AuditHead) -> Tail {
        let newline = UInt8(ascii: "\n")
        let body = tail.last == newline ? tail.dropLast() : tail[...]
        guard !body.contains(newline) else { return .foreign }
        if tail.last == newline, let record = try? JSONDecoder().decode(Record.self, from: Data(body)),
            record.previous == (head.count == 0 ? "" : head.last)
        {
            return .record(String(decoding: body, as: UTF8.self))
        }
        return .unfinished
    }

    /// Keeps the bytes of an unfinished append beside the log (nothing is thrown away), then
    /// cuts them off, so the next record starts on a line of its own.
    private func setAside(_ tail: [UInt8], of handle: FileDescriptor, keeping size: Int) throws {
        let disk = directory.disk
        var aside = folder + "/unfinished-at-\(size).bytes"
        var n = 1
        while FileManager.default.fileExists(atPath: aside) {
            n += 1
            aside = folder + "/unfinished-at-\(size)-\(n).bytes"
        }
        do {
            let kept = try disk.open(aside, flags: O_WRONLY | O_CREAT | O_EXCL, mode: 0o600)
            try kept.write(tail, at: 0)
            try kept.sync()
            try disk.syncDirectory(folder)
            try handle.truncate(to: size)
            try handle.sync()
        } catch {
            throw DirectoryError(.io, "cannot set aside an unfinished audit record: \(error)")
        }
    }

    /// The file at the log's path must still be the one being appended to.
    private func checkStillInPlace(_ handle: FileDescriptor) throws {
        var open = stat()
        var named = stat()
        guard fstat(handle.fd, &open) == 0, stat(file, &named) == 0, open.st_ino == named.st_ino,
            open.st_dev == named.st_dev
        else {
            self.handle = nil
            throw DirectoryError(
                .io, "the audit log was deleted or replaced while the server ran; see kith audit verify")
        }
    }

    private func save(_ head: AuditHead) throws {
        var sealed = head
        sealed.mac = sealed.expectedMAC(key: key)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try directory.durablyReplace(headFile, with: try encoder.encode(sealed), mode: 0o600)
    }

    static func tail(of file: String, from offset: Int) -> [UInt8]? {
        guard let handle = FileHandle(forReadingAtPath: file) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let data = try? handle.readToEnd() else {
            return nil
        }
        return Array(data)
    }

    func link(_ line: some StringProtocol) -> String { HMAC.hex(key: key, message: Array(line.utf8)) }

    static func encode(_ record: Record) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(record)) ?? Data(), as: UTF8.self)
    }

    static func lines(of file: String) -> [Substring]? {
        FileManager.default.contents(atPath: file).map(lines(of:))
    }

    static func lines(of data: Data) -> [Substring] {
        String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
    }

    // MARK: Verifying

    public struct Verification: Sendable {
        public var records: [Record]
        /// Each says what is wrong and where; empty when the log is whole.
        public var problems: [String]
        /// What is worth knowing but proves nothing wrong (a record whose head a crash missed).
        public var notes: [String]
        public var isIntact: Bool { problems.isEmpty }
    }

    /// Every record, with the chain and the head checked.
    public func verify() throws -> Verification {
        let lines = AuditLog.lines(of: file)
        guard let head = try AuditHead.load(headFile, key: key) else {
            guard let lines, !lines.isEmpty else { return Verification(records: [], problems: [], notes: []) }
            var v = verify(lines: lines, head: nil)
            v.problems.insert(
                "the head record audit.head is missing: the log may have been cut or rewritten "
                    + "(a log from before heads existed is sealed when kith serve first starts)", at: 0)
            return v
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            return Verification(
                records: [],
                problems: head.count == 0
                    ? [] : ["audit/audit.ndjson is missing; the head records \(head.count) record(s)"],
                notes: [])
        }
        if data.count > head.size, classify(Array(data[head.size...]), after: head) == .unfinished {
            var v = verify(lines: AuditLog.lines(of: data.prefix(head.size)), head: head)
            v.notes.append(
                "the last \(data.count - head.size) byte(s) are part of a record a crash cut short (its answer was "
                    + "never sent); the server sets them aside in audit/ when it next starts")
            return v
        }
        return verify(lines: AuditLog.lines(of: data), head: head)
    }

    func verify(lines: [Substring], head: AuditHead?) -> Verification {
        var v = Verification(records: [], problems: [], notes: [])
        let decoder = JSONDecoder()
        let legacy = head?.legacy ?? lines.count
        var previousLine: Substring?
        for (i, line) in lines.enumerated() {
            let number = i + 1
            guard let record = try? decoder.decode(Record.self, from: Data(line.utf8)) else {
                v.problems.append("line \(number) is not an audit record")
                previousLine = line
                continue
            }
            let expected: String
            if let previousLine {
                expected = i < legacy ? SHA256.hex(previousLine.utf8) : link(previousLine)
            } else {
                expected = ""
            }
            if record.previous != expected {
                v.problems.append(
                    "line \(number) does not follow line \(number - 1): records were edited, removed or inserted")
            }
            v.records.append(record)
            previousLine = line
        }
        guard let head else { return v }
        if lines.count < head.count {
            v.problems.append(
                "the log has \(lines.count) record(s) but its head records \(head.count): "
                    + "the last \(head.count - lines.count) were cut")
        } else if lines.count > head.count + 1 {
            v.problems.append(
                "the log has \(lines.count) record(s) but its head records \(head.count): records were added without the head"
            )
        } else if lines.count == head.count + 1 {
            v.notes.append("the last record was written but its head was not (the writer stopped in between)")
            if head.count > 0, link(lines[head.count - 1]) != head.last {
                v.problems.append("line \(head.count) is not the record the head ends with")
            }
        } else if head.count > 0, let last = lines.last, link(last) != head.last {
            v.problems.append("line \(lines.count) is not the record the head ends with: it was edited or replaced")
        }
        return v
    }
}

/// `DIR/audit.head`: how many records the audit log holds and the keyed hash of the last one,
/// keyed itself, so neither can be changed to match a cut log without the secret.
struct AuditHead: Codable, Equatable {
    var count = 0
    var last = ""
    /// How many of the first records were written before the chain was keyed.
    var legacy = 0
    /// The log's length in bytes when the head was written.
    var size = 0
    var mac = ""

    func expectedMAC(key: [UInt8]) -> String {
        HMAC.hex(key: key, message: Array("audit head|\(count)|\(last)|\(legacy)|\(size)".utf8))
    }

    static func load(_ file: String, key: [UInt8]) throws -> AuditHead? {
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        guard let head = try? JSONDecoder().decode(AuditHead.self, from: data), head.mac == head.expectedMAC(key: key)
        else {
            throw DirectoryError(
                .io, "the audit head audit.head was edited or damaged: it does not carry the installation's seal")
        }
        return head
    }
}
