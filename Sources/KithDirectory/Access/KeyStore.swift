import Foundation
import KithCore

#if canImport(Glibc)
    import Glibc
#endif

/// API keys in `DIR/keys.json`. Changes are serialised by a lock file and land by an atomic,
/// fsync'd rename, so a running server that re-reads the file sees either the old or the new set.
public struct KeyStore: Sendable {
    public let file: String
    private let directory: DataDirectory

    public init(_ directory: DataDirectory) {
        self.directory = directory
        file = directory.path + "/keys.json"
    }

    struct Contents: Codable {
        var keys: [APIKey]
    }

    public func list() throws -> [APIKey] {
        guard let data = FileManager.default.contents(atPath: file) else { return [] }
        do {
            return try JSONDecoder().decode(Contents.self, from: data).keys
        } catch {
            throw DirectoryError(
                .io, "the key file keys.json is damaged (\(error)); restore it or remove it and create new keys",
                file: file)
        }
    }

    /// Creates a key and returns it with its secret, which is shown once and never stored. A key
    /// that may write events must name the sources it writes (`admin` may write any).
    public func create(
        name: String, scopes: [Scope], sources: [String]? = nil, expiresAt: Date? = nil, now: Date = Date()
    ) throws -> (key: APIKey, secret: String) {
        let trimmed = name.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw DirectoryError(.badArgument, "a key needs a name (--name), e.g. crm-sync") }
        guard !scopes.isEmpty else {
            throw DirectoryError(.badArgument, "a key needs at least one scope (--scopes), e.g. profiles:read")
        }
        let sources = sources.map { Array(Set($0)).sorted() }
        if scopes.contains(.eventsWrite), !scopes.contains(.admin), sources?.isEmpty ?? true {
            throw DirectoryError(
                .badArgument,
                "a key with events:write needs the sources it may write (--sources), e.g. --sources pos,app")
        }
        for source in sources ?? [] where !isSourceName(source) {
            throw DirectoryError(.badArgument, "--sources: \"\(source)\" is not a source name ([a-z0-9_-]{1,32})")
        }
        if let expiresAt, expiresAt <= now {
            throw DirectoryError(.badArgument, "--expires must be in the future")
        }
        return try locked {
            var keys = try list()
            if keys.contains(where: { $0.name == trimmed && !$0.isRevoked }) {
                throw DirectoryError(
                    .badArgument, "a key named \"\(trimmed)\" exists; revoke it first or choose another name")
            }
            let secret = "kith_" + KeyStore.randomHex(24)
            let key = APIKey(
                id: "k" + KeyStore.randomHex(6), name: trimmed, scopes: scopes.sorted(),
                digest: SHA256.hex(secret.utf8),
                prefix: String(secret.prefix(11)), createdAt: KeyStore.stamp(now), revokedAt: nil,
                sources: sources, expiresAt: expiresAt.map(KeyStore.stamp))
            keys.append(key)
            try save(keys)
            return (key, secret)
        }
    }

    /// Revokes by id or name; returns the revoked key.
    public func revoke(_ reference: String, now: Date = Date()) throws -> APIKey {
        try locked {
            var keys = try list()
            guard let i = keys.firstIndex(where: { ($0.id == reference || $0.name == reference) && !$0.isRevoked })
            else {
                throw DirectoryError(
                    .badArgument, "no active key has the id or name \"\(reference)\" (see kith keys list)")
            }
            keys[i].revokedAt = Timestamp(epochSeconds: Int64(now.timeIntervalSince1970)).description
            try save(keys)
            return keys[i]
        }
    }

    /// Replaces a key's secret; the old one keeps working for `grace` seconds, so clients can
    /// move over without an outage. Returns the key and its new secret (shown once).
    public func rotate(_ reference: String, grace: Int, now: Date = Date()) throws -> (key: APIKey, secret: String) {
        guard grace >= 0 else { throw DirectoryError(.badArgument, "--grace must not be negative") }
        return try locked {
            var keys = try list()
            guard let i = keys.firstIndex(where: { ($0.id == reference || $0.name == reference) && !$0.isRevoked })
            else {
                throw DirectoryError(
                    .badArgument, "no active key has the id or name \"\(reference)\" (see kith keys list)")
            }
            let secret = "kith_" + KeyStore.randomHex(24)
            keys[i].previousDigest = keys[i].digest
            keys[i].previousValidUntil = KeyStore.stamp(now.addingTimeInterval(Double(grace)))
            keys[i].digest = SHA256.hex(secret.utf8)
            keys[i].prefix = String(secret.prefix(11))
            try save(keys)
            return (keys[i], secret)
        }
    }

    /// The active, unexpired key whose digest (or rotated-out digest, within its grace) matches
    /// `secret`, if any.
    public static func match(_ secret: String, in keys: [APIKey], now: Date = Date()) -> APIKey? {
        let digest = SHA256.hex(secret.utf8)
        let seconds = Int64(now.timeIntervalSince1970)
        return keys.first { key in
            guard !key.isRevoked, !key.hasExpired(at: seconds) else { return false }
            if constantTimeEqual(key.digest, digest) { return true }
            guard let previous = key.previousDigest, key.acceptsPrevious(at: seconds) else { return false }
            return constantTimeEqual(previous, digest)
        }
    }

    static func stamp(_ date: Date) -> String { Timestamp(epochSeconds: Int64(date.timeIntervalSince1970)).description }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    private func save(_ keys: [APIKey]) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try directory.durablyReplace(file, with: try encoder.encode(Contents(keys: keys)), mode: 0o600)
    }

    private func locked<T>(_ body: () throws -> T) throws -> T {
        try FileManager.default.createDirectory(atPath: directory.path, withIntermediateDirectories: true)
        let fd = open(file + ".lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw DirectoryError(.io, "cannot open \(file).lock: \(String(cString: strerror(errno)))")
        }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw DirectoryError(.io, "cannot lock \(file).lock") }
        defer { flock(fd, LOCK_UN) }
        return try body()
    }

    static func randomHex(_ bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<bytes).map { _ in
            let b = UInt8.random(in: 0...255, using: &generator)
            return (b < 16 ? "0" : "") + String(b, radix: 16)
        }.joined()
    }
}
