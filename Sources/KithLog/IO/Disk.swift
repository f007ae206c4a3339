import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The file operations that make Kith's files durable: opening, writing, syncing, renaming and
/// creating directories. Production code uses `.real`; crash tests hand in an observer that
/// sees every operation before it happens, so it can stop the process at a chosen one and work
/// out what a power loss there would leave (see the `KithFaults` test target).
package struct Disk: Sendable {
    package let observer: (any DiskObserver)?

    /// The kernel's file system, nothing watching.
    package static let real = Disk(observer: nil)

    package init(observer: (any DiskObserver)?) { self.observer = observer }

    package func open(_ path: String, flags: Int32, mode: mode_t = 0o644) throws -> FileDescriptor {
        try observer?.willPerform(
            .open(path: path, creating: flags & O_CREAT != 0, truncating: flags & O_TRUNC != 0))
        return try FileDescriptor(path: path, flags: flags, mode: mode, observer: observer)
    }

    /// Renames `source` over `target` (atomically, within one directory). Not durable until the
    /// directory is synced.
    package func rename(_ source: String, to target: String) throws {
        try observer?.willPerform(.rename(from: source, to: target))
        guard Glibc.rename(source, target) == 0 else { throw LogError.io("rename", path: target, errno: errno) }
    }

    /// Gives `source` a second name, `target`, unless `target` exists; returns whether it did.
    /// Two processes racing to install a file this way agree on one winner, unlike `rename`.
    /// Not durable until the directory is synced.
    package func link(_ source: String, to target: String) throws -> Bool {
        try observer?.willPerform(.link(from: source, to: target))
        if Glibc.link(source, target) == 0 { return true }
        if errno == EEXIST { return false }
        throw LogError.io("link", path: target, errno: errno)
    }

    /// Makes the directory's entries (files created, renamed or removed in it) durable.
    package func syncDirectory(_ path: String) throws {
        try observer?.willPerform(.syncDirectory(path))
        let dir = try FileDescriptor(path: path, flags: O_RDONLY | O_DIRECTORY)
        if fsync(dir.fd) != 0 { throw LogError.io("fsync", path: path, errno: errno) }
        KillPoint.fsync.reached()
    }

    /// Creates `path` and any missing parents, syncing each parent after its new entry, so a
    /// directory that held acknowledged data cannot vanish in a power loss.
    package func createDirectory(_ path: String) throws {
        var missing: [String] = []
        var probe = path
        while !probe.isEmpty, probe != "/", !FileManager.default.fileExists(atPath: probe) {
            missing.append(probe)
            probe = FilePaths.parent(of: probe)
        }
        for directory in missing.reversed() {
            try observer?.willPerform(.createDirectory(directory))
            if mkdir(directory, 0o755) != 0 && errno != EEXIST {
                throw LogError.io("mkdir", path: directory, errno: errno)
            }
            let parent = FilePaths.parent(of: directory)
            try syncDirectory(parent.isEmpty ? "." : parent)
        }
    }

    /// Removes a file. Not durable until the directory is synced.
    package func removeFile(_ path: String) throws {
        try observer?.willPerform(.remove(path))
        if unlink(path) != 0 && errno != ENOENT { throw LogError.io("unlink", path: path, errno: errno) }
    }
}

/// One operation on a `Disk`, as an observer sees it before it happens.
package enum DiskOperation: Sendable {
    case open(path: String, creating: Bool, truncating: Bool)
    case write(path: String, offset: Int, bytes: [UInt8])
    case truncate(path: String, length: Int)
    case sync(path: String)
    case rename(from: String, to: String)
    case link(from: String, to: String)
    case syncDirectory(String)
    case createDirectory(String)
    case remove(String)
}

/// Watches a `Disk`. Throwing from `willPerform` stops the operation, as a crash would.
package protocol DiskObserver: AnyObject, Sendable {
    func willPerform(_ operation: DiskOperation) throws
}
