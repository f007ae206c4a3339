import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Buffered writes to stdout and unbuffered notes to stderr.
enum Out {
    /// Our own buffered stream on fd 1 (the C `stdout` global is not concurrency-safe to name).
    nonisolated(unsafe) static let stream: UnsafeMutablePointer<FILE>? = fdopen(1, "w")

    static func print(_ text: String) {
        var line = text
        line.append("\n")
        line.withCString { _ = fputs($0, stream) }
    }

    static func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        _ = fwrite(bytes.baseAddress, 1, bytes.count, stream)
    }

    static func note(_ text: String) {
        FileHandle.standardError.write(Data((text + "\n").utf8))
    }

    static func flush() { fflush(stream) }

    static var stderrIsTerminal: Bool { isatty(2) == 1 }

    static func json<T: Encodable>(_ value: T, pretty: Bool = true) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting =
            pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }
}
