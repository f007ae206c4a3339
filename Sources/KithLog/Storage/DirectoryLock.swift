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
        if flock(file.fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = (try? buffer.withUnsafeMutableBytes { try file.read(into: $0, at: 0) }) ?? 0
            let holder = String(decoding: buffer.prefix(n), as: UTF8.self)
                .split(separator: "\n").joined(separator: ", ")
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
