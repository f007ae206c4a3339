import Foundation
import KithCore
import KithIngest
import KithLog
import KithProjections

#if canImport(Glibc)
import Glibc
#endif

/// What the server shares between requests: the store in force (reopened when a replay swaps
/// generations), the keys (re-read when `keys.json` changes, so a revocation takes effect at
/// once), the audit log and the metrics.
final class ServerState: @unchecked Sendable {
    let directory: DataDirectory
    let rules: Rules
    let audit: AuditLog
    let metrics = ServerMetrics()
    private let keyStore: KeyStore
    private let lock = NSLock()
    private var store: SQLiteProjectionStore?
    /// The `projections.current` pointer as it was when `store` was opened: a replay replaces it
    /// by rename, which changes the stamp, so the pointer is read again only then.
    private var pointerStamp: FileStamp?
    private var keys: [APIKey] = []
    private var keysStamp: FileStamp?

    init(directory: DataDirectory, rules: Rules) {
        self.directory = directory
        self.rules = rules
        audit = AuditLog(directory)
        keyStore = KeyStore(directory)
    }

    /// The projection store in force, read-only.
    func currentStore() throws -> SQLiteProjectionStore {
        let stamp = FileStamp(directory.projectionsPointer)
        lock.lock()
        defer { lock.unlock() }
        if let store, stamp == pointerStamp { return store }
        let path = directory.projections
        if let store, store.path == path {
            pointerStamp = stamp
            return store
        }
        do {
            let opened = try SQLiteProjectionStore(path: path, readOnly: true)
            store = opened
            pointerStamp = stamp
            return opened
        } catch {
            throw Problem(.serviceUnavailable, "store_unavailable", "\(error)")
        }
    }

    /// A reader of the log as it is now (a reader sees the batches present when it opened, and
    /// keeps buffers of its own, so each request opens one).
    func logReader() throws -> EventLogReader {
        do { return try EventLogReader(directory: directory.log) } catch {
            throw Problem(.serviceUnavailable, "log_unavailable", "\(error)")
        }
    }

    /// The active key whose digest matches `secret`.
    func key(for secret: String) throws -> APIKey? {
        let stamp = FileStamp(keyStore.file)
        lock.lock()
        defer { lock.unlock() }
        if stamp != keysStamp {
            do { keys = try keyStore.list() } catch {
                throw Problem(.internalServerError, "keys_unreadable", "\(error)")
            }
            keysStamp = stamp
        }
        return KeyStore.match(secret, in: keys)
    }
}

/// Enough of a file's `stat` to notice that it was replaced or changed.
struct FileStamp: Equatable {
    var inode: UInt64
    var size: Int64
    var modified: Int
    var modifiedNanoseconds: Int

    init?(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modified = st.st_mtim.tv_sec
        modifiedNanoseconds = st.st_mtim.tv_nsec
    }
}
