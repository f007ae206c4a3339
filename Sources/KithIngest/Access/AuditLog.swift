import Foundation
import KithCore

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
    private var fd: Int32 = -1

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

    deinit { if fd >= 0 { close(fd) } }

    /// Appends one record durably (fsync, then the head) before the answer it accounts for is
    /// sent. Throws, so that nothing personal is sent, when the log cannot be written, was cut,
    /// or was deleted or replaced while open. Several servers on one data directory append in
    /// turn: each append holds the file's lock and reads the head afresh.
    public func append(_ record: Record) throws {
        lock.lock()
        defer { lock.unlock() }
        try openIfNeeded()
        guard flock(fd, LOCK_EX) == 0 else { throw IngestError(.io, "cannot lock the audit log") }
        defer { flock(fd, LOCK_UN) }
        try checkStillInPlace()
        var head = try currentHead()
        var chained = record
        chained.previous = head.count == 0 ? "" : head.last
        let line = AuditLog.encode(chained)
        let bytes = Array((line + "\n").utf8)
        let written = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count, fsync(fd) == 0 else {
            throw IngestError(.io, "cannot append to the audit log: \(String(cString: strerror(errno)))")
        }
        head.count += 1
        head.last = link(line)
        head.size += bytes.count
        try save(head)
    }

    /// Opens the log for appending after checking it whole; seals a log written before heads
    /// existed. Throws when the log fails verification.
    public func prepare() throws {
        lock.lock()
        defer { lock.unlock() }
        try openIfNeeded()
        guard flock(fd, LOCK_EX) == 0 else { throw IngestError(.io, "cannot lock the audit log") }
        defer { flock(fd, LOCK_UN) }
        _ = try currentHead()
    }

    private func openIfNeeded() throws {
        if fd >= 0 { return }
        try FileManager.default.createDirectory(atPath: directory.path + "/audit", withIntermediateDirectories: true)
        if AuditLog.lines(of: file) == nil, let stored = try AuditHead.load(headFile, key: key), stored.count > 0 {
            throw IngestError(
                .io, "the audit log is missing but its head records \(stored.count) record(s); see kith audit verify")
        }
        fd = open(file, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw IngestError(.io, "cannot open the audit log: \(String(cString: strerror(errno)))") }
        // The whole chain is checked once, when this process first opens the log.
        let check = verify(lines: AuditLog.lines(of: file) ?? [], head: try currentHead())
        guard check.isIntact else {
            close(fd)
            fd = -1
            throw IngestError(.io, "the audit log fails verification (\(check.problems[0])); see kith audit verify")
        }
    }

    /// The head as it is on disk (another server may have appended since), with the log's size
    /// checked against it: a shorter log was cut; one more whole, chained record is one a writer
    /// fsynced before it stopped, and is taken into the head. The caller holds the file lock.
    private func currentHead() throws -> AuditHead {
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw IngestError(.io, "cannot read the audit log's size") }
        let size = Int(st.st_size)
        guard var head = try AuditHead.load(headFile, key: key) else {
            // No head: a new log, or one from before heads, sealed as it is (its records are
            // chained with plain SHA-256). A keyed chain without its head was cut or rewritten.
            let lines = AuditLog.lines(of: file) ?? []
            if lines.count > 1, let last = lines.last,
                let record = try? JSONDecoder().decode(Record.self, from: Data(last.utf8)),
                record.previous != SHA256.hex(lines[lines.count - 2].utf8)
            {
                throw IngestError(.io, "the audit head audit.head is missing; see kith audit verify")
            }
            let head = AuditHead(count: lines.count, last: lines.last.map(link) ?? "", legacy: lines.count, size: size)
            try save(head)
            return head
        }
        if size < head.size {
            throw IngestError(
                .io, "the audit log is shorter than its head records: records were cut; see kith audit verify")
        }
        if size > head.size {
            let tail = AuditLog.tail(of: file, from: head.size)
            guard let tail, tail.last == UInt8(ascii: "\n"), tail.dropLast().firstIndex(of: UInt8(ascii: "\n")) == nil,
                let record = try? JSONDecoder().decode(Record.self, from: Data(tail.dropLast())),
                record.previous == (head.count == 0 ? "" : head.last)
            else {
                throw IngestError(.io, "the audit log holds records its head does not: see kith audit verify")
            }
            head.count += 1
            head.last = link(String(decoding: tail.dropLast(), as: UTF8.self))
            head.size = size
            try save(head)
        }
        return head
    }

    /// The file at the log's path must still be the one being appended to.
    private func checkStillInPlace() throws {
        var open = stat()
        var named = stat()
        guard fstat(fd, &open) == 0, stat(file, &named) == 0, open.st_ino == named.st_ino, open.st_dev == named.st_dev
        else {
            close(fd)
            fd = -1
            throw IngestError(.io, "the audit log was deleted or replaced while the server ran; see kith audit verify")
        }
    }

    private func save(_ head: AuditHead) throws {
        var sealed = head
        sealed.mac = sealed.expectedMAC(key: key)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let temporary = headFile + ".\(getpid()).tmp"
        try directory.durablyWrite(try encoder.encode(sealed), to: temporary)
        do { try directory.disk.rename(temporary, to: headFile) } catch {
            throw IngestError(.io, "cannot replace the audit head: \(error)")
        }
        try directory.syncDirectory()
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
        guard let data = FileManager.default.contents(atPath: file) else { return nil }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
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
        guard let lines else {
            return Verification(
                records: [],
                problems: head.count == 0
                    ? [] : ["audit/audit.ndjson is missing; the head records \(head.count) record(s)"],
                notes: [])
        }
        return verify(lines: lines, head: head)
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
            throw IngestError(
                .io, "the audit head audit.head was edited or damaged: it does not carry the installation's seal")
        }
        return head
    }
}
