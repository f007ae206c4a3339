import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A stream of bytes from an input file, decompressed if the file is `.gz` or `.lz4`.
protocol ByteSource: AnyObject {
    /// Fills `buffer` from the front; returns 0 at the end. Throws `IngestError` on damage.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
    /// Bytes of the underlying file consumed so far (for progress).
    var consumed: Int { get }
}

/// Plain file reads.
final class FileByteSource: ByteSource {
    let fd: Int32
    let path: String
    private(set) var consumed = 0

    /// Opens `path`; errors name the file as `name` (its path unless given).
    init(path: String, name: String? = nil) throws {
        let name = name ?? path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw IngestError(.unreadableFile, "cannot open: \(String(cString: strerror(errno)))", file: name)
        }
        var st = stat()
        if fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR {
            close(fd)
            throw IngestError(.unreadableFile, "is a directory, not a file", file: name)
        }
        self.fd = fd
        self.path = name
    }

    deinit { close(fd) }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 {
                if errno == EINTR { continue }
                throw IngestError(.unreadableFile, "read failed: \(String(cString: strerror(errno)))", file: path)
            }
            consumed += n
            return n
        }
    }

    static func size(of path: String) -> Int {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_size) : 0
    }
}

/// Bytes already in memory (an HTTP body), read in place.
final class MemoryByteSource: ByteSource {
    private let bytes: [UInt8]
    private(set) var consumed = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let n = min(buffer.count, bytes.count - consumed)
        guard n > 0 else { return 0 }
        bytes.withUnsafeBytes { source in
            guard let from = source.baseAddress, let to = buffer.baseAddress else { return }
            to.copyMemory(from: from + consumed, byteCount: n)
        }
        consumed += n
        return n
    }
}

enum ByteSources {
    static func open(_ path: String) throws -> any ByteSource {
        let file = try FileByteSource(path: path)
        let lower = path.lowercased()
        if lower.hasSuffix(".gz") { return try GzipByteSource(file) }
        if lower.hasSuffix(".lz4") { return try LZ4FrameByteSource(file) }
        return file
    }
}
