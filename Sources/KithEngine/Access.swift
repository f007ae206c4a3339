import Foundation
import KithCore
import KithDirectory

#if canImport(Glibc)
    import Glibc
#endif

/// Who may read and write one data directory, and the record of who saw personal data: its API
/// keys (`keys.json`), when each was last used, and the audit log. `kith keys|audit` and the
/// server's authentication and accounting go through here, so a key means the same to both.
public final class Access: @unchecked Sendable {
    /// A key as it was just made or given a new secret: the secret is shown this once and
    /// never stored.
    public struct IssuedKey: Encodable, Sendable {
        public var key: APIKey
        public var secret: String
    }

    /// A key with when it was last used (nil: never, or not yet noted).
    public struct ListedKey: Encodable, Sendable {
        public var key: APIKey
        public var lastUsedAt: String?

        enum CodingKeys: String, CodingKey {
            case id, name, scopes, sources, prefix
            case createdAt = "created_at"
            case expiresAt = "expires_at"
            case revokedAt = "revoked_at"
            case lastUsedAt = "last_used_at"
            case previousValidUntil = "previous_valid_until"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(key.id, forKey: .id)
            try c.encode(key.name, forKey: .name)
            try c.encode(key.scopes, forKey: .scopes)
            try c.encode(key.sources, forKey: .sources)
            try c.encode(key.prefix, forKey: .prefix)
            try c.encode(key.createdAt, forKey: .createdAt)
            try c.encode(key.expiresAt, forKey: .expiresAt)
            try c.encode(key.revokedAt, forKey: .revokedAt)
            try c.encode(lastUsedAt, forKey: .lastUsedAt)
            try c.encode(key.previousValidUntil, forKey: .previousValidUntil)
        }
    }

    private let directory: DataDirectory
    private let keyStore: KeyStore
    private let usage: KeyUsage
    private let secret: @Sendable () throws -> InstallationSecret
    private let lock = NSLock()
    /// Opened on first need: only the audit needs the installation secret.
    private var auditLog: AuditLog?
    /// The keys as `keys.json` held them when `keysStamp` was taken: re-read when the file
    /// changes, so a revocation takes effect at the next request.
    private var keys: [APIKey] = []
    private var keysStamp: FileStamp?

    init(_ directory: DataDirectory, secret: @escaping @Sendable () throws -> InstallationSecret) {
        self.directory = directory
        keyStore = KeyStore(directory)
        usage = KeyUsage(directory)
        self.secret = secret
    }

    private func audit() throws -> AuditLog {
        if let log = lock.withLock({ auditLog }) { return log }
        let log = AuditLog(directory, secret: try secret())
        return lock.withLock {
            if let auditLog { return auditLog }
            auditLog = log
            return log
        }
    }

    // MARK: Keys

    /// A new key with these scopes (an `events:write` key names the sources it may write).
    public func createKey(name: String, scopes: [Scope], sources: [String]?, expiresAt: Date?) throws -> IssuedKey {
        let created = try wrapping {
            try keyStore.create(name: name, scopes: scopes, sources: sources, expiresAt: expiresAt)
        }
        return IssuedKey(key: created.key, secret: created.secret)
    }

    /// Every key, revoked ones included, with its last use.
    public func keysListed() throws -> [ListedKey] {
        let keys = try wrapping { try keyStore.list() }
        let used = KeyUsage.read(usage.file)
        return keys.map { ListedKey(key: $0, lastUsedAt: used[$0.id]) }
    }

    /// Gives the key `reference` (an id or a name) a new secret; the old one keeps working for
    /// `grace` seconds, so its clients can move over without an outage.
    public func rotateKey(_ reference: String, grace: Int) throws -> IssuedKey {
        let rotated = try wrapping { try keyStore.rotate(reference, grace: grace) }
        return IssuedKey(key: rotated.key, secret: rotated.secret)
    }

    /// Revokes the key `reference` (an id or a name); a running server refuses it from its next
    /// request on.
    public func revokeKey(_ reference: String) throws -> APIKey {
        try wrapping { try keyStore.revoke(reference) }
    }

    /// The active, unexpired key `secret` belongs to, if any, its use noted.
    public func key(presenting secret: String) throws -> APIKey? {
        let stamp = FileStamp(keyStore.file)
        lock.lock()
        defer { lock.unlock() }
        if stamp != keysStamp {
            keys = try wrapping { try keyStore.list() }
            keysStamp = stamp
        }
        let key = KeyStore.match(secret, in: keys)
        if let key { usage.touch(key.id) }
        return key
    }

    /// The sources `key` may write, of which `requested` must be one (nil: any, for `admin`).
    public func sources(writableBy key: APIKey, requested: String?) throws -> Set<String>? {
        if key.scopeSet.contains(.admin) { return nil }
        guard let bound = key.sources, !bound.isEmpty else {
            throw EngineError(.notAllowed, "the key \"\(key.name)\" is bound to no source")
        }
        if let requested, !bound.contains(requested) {
            throw EngineError(
                .notAllowed,
                "the key \"\(key.name)\" may write only \(bound.sorted().joined(separator: ", ")), not \(requested)")
        }
        return Set(bound)
    }

    // MARK: Audit

    /// Seals an audit log from before heads existed and opens its head early; best effort, as a
    /// log found cut is refused at its next append instead.
    public func prepareAudit() { try? audit().prepare() }

    /// Records, durably, that `key` was shown personal data by `route` (about `profile`), before
    /// the answer goes out: when this throws, the answer must not.
    public func recordDisclosure(by key: APIKey, route: String, profile: String?, status: Int = 200) throws {
        let now = Timestamp(epochSeconds: Int64(Date().timeIntervalSince1970)).description
        try wrapping {
            try audit().append(
                AuditLog.Record(
                    at: now, key: key.name, keyID: key.id, route: route, profile: profile, status: status))
        }
    }

    /// Every audit record, with the keyed chain and the head checked.
    public func auditTrail() throws -> AuditLog.Verification {
        try wrapping { try audit().verify() }
    }

    private func wrapping<T>(_ body: () throws -> T) throws -> T { try Engine.wrapping(body) }
}

/// Enough of a file's `stat` to notice that it was replaced or changed.
public struct FileStamp: Equatable, Sendable {
    var inode: UInt64
    var size: Int64
    var modified: Int
    var modifiedNanoseconds: Int

    /// The stamp of `path` now; nil when there is no such file.
    public init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modified = st.st_mtim.tv_sec
        modifiedNanoseconds = st.st_mtim.tv_nsec
    }
}
