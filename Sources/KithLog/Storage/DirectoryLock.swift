import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The single-writer lock on a data directory: an advisory `flock` on `LOCK`, released by the
/// kernel when the holder dies, with the holder's pid and command written inside for the error.
public final class DirectoryLock: Sendable {
    private let file: FileDescriptor

    /// Takes the lock or throws `LogError` (`.locked`) naming the holder.
    public init(directory: String, purpose: String) throws {
        let path = directory + "/LOCK"
        let file = try FileDescriptor(path: path, flags: O_RDWR | O_CREAT)
        var attempts = 0
        while flock(file.fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = (try? buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }) ?? 0
            let holder = String(decoding: buffer.prefix(n), as: UTF8.self)
                .split(separator: "\n").joined(separator: ", ")
            // A lock this process released can stay held for a moment by a child it is
            // spawning: the child shares the lock's open file until its exec closes it
            // (O_CLOEXEC). Wait that out (up to a second); another holder is refused at once.
            if holder.hasPrefix("pid \(getpid()),"), attempts < 100 {
                attempts += 1
                usleep(10_000)
                continue
            }
            throw LogError(
                .locked,
                "another writer holds the data directory (\(holder.isEmpty ? "holder unknown" : holder)); "
                    + "wait for it to finish or stop it",
                path: directory)
        }
        let info = "pid \(getpid())\ncommand \(purpose)\nsince \(ISO8601DateFormatter().string(from: Date()))\n"
        try file.truncate(to: 0)
        try file.write(Array(info.utf8), at: 0)
        self.file = file
    }
}
