#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A thin owner of a POSIX file descriptor: positioned reads and writes, fsync, truncate.
/// Errors carry the path and the operation.
package final class FileDescriptor: @unchecked Sendable {
    // @unchecked: `fd` is immutable after init; the kernel serialises concurrent pread/pwrite.
    package let fd: Int32
    package let path: String
    /// Sees writes, truncations and syncs before they happen (crash tests; nil otherwise).
    let observer: (any DiskObserver)?

    /// Opens a file for reading, or for writes nothing watches; durable files are opened with
    /// `Disk.open`.
    package convenience init(path: String, flags: Int32, mode: mode_t = 0o644) throws {
        try self.init(path: path, flags: flags, mode: mode, observer: nil)
    }

    init(path: String, flags: Int32, mode: mode_t, observer: (any DiskObserver)?) throws {
        let fd = open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw LogError.io("open", path: path, errno: errno) }
        self.fd = fd
        self.path = path
        self.observer = observer
    }

    deinit { close(fd) }

    package var size: Int {
        var st = stat()
        return fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    package func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        try observer?.willPerform(.write(path: path, offset: offset, bytes: Array(bytes)))
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, base + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw LogError.io("write", path: path, errno: errno)
            }
            done += n
        }
    }

    package func write(_ bytes: [UInt8], at offset: Int) throws {
        try bytes.withUnsafeBytes { try write($0, at: offset) }
    }

    /// Reads up to `count` bytes; fewer only at end of file.
    package func read(into buffer: UnsafeMutableRawBufferPointer, at offset: Int) throws -> Int {
        guard let base = buffer.baseAddress else { return 0 }
        var done = 0
        while done < buffer.count {
            let n = pread(fd, base + done, buffer.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw LogError.io("read", path: path, errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }

    package func sync() throws {
        try observer?.willPerform(.sync(path: path))
        #if canImport(Glibc)
            let rc = fdatasync(fd)
        #else
            let rc = fsync(fd)
        #endif
        if rc != 0 { throw LogError.io("fsync", path: path, errno: errno) }
        KillPoint.fsync.reached()
    }

    package func truncate(to length: Int) throws {
        try observer?.willPerform(.truncate(path: path, length: length))
        if ftruncate(fd, off_t(length)) != 0 { throw LogError.io("truncate", path: path, errno: errno) }
    }
}

package func systemErrorText(_ code: Int32) -> String {
    String(cString: strerror(code))
}
