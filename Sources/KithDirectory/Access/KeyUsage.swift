import Foundation
import KithCore

#if canImport(Glibc)
    import Glibc
#endif

/// When each key was last used (`DIR/keys.used.json`), so an operator can see which keys are
/// idle and revoke them. A server notes uses in memory and writes them at most once a minute:
/// the time shown is at most that late, and requests never wait on it.
public final class KeyUsage: @unchecked Sendable {
    public let file: String
    private let directory: DataDirectory
    private let lock = NSLock()
    private var lastUsed: [String: String] = [:]
    private var writtenAt: Double = 0
    private var dirty = false

    public init(_ directory: DataDirectory) {
        self.directory = directory
        file = directory.path + "/keys.used.json"
        lastUsed = KeyUsage.read(file)
    }

    /// Each key id's last use (RFC 3339).
    public static func read(_ file: String) -> [String: String] {
        guard let data = FileManager.default.contents(atPath: file),
            let map = try? JSONDecoder().decode([String: String].self, from: data)
        else { return [:] }
        return map
    }

    /// Notes a use of `keyID` now; writes the file when a minute has passed since it last did.
    public func touch(_ keyID: String, now: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        lastUsed[keyID] = Timestamp(epochSeconds: Int64(now.timeIntervalSince1970)).description
        dirty = true
        if now.timeIntervalSinceReferenceDate - writtenAt >= 60 { flushLocked(now) }
    }

    /// Writes what is noted (at shutdown, or in tests).
    public func flush(now: Date = Date()) {
        lock.lock()
        defer { lock.unlock() }
        flushLocked(now)
    }

    private func flushLocked(_ now: Date) {
        guard dirty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(lastUsed) else { return }
        // Best effort: a lost write only makes the shown time older.
        guard (try? directory.durablyReplace(file, with: data, mode: 0o600)) != nil else { return }
        writtenAt = now.timeIntervalSinceReferenceDate
        dirty = false
    }
}
