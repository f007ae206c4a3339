#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A run of whole lines from an input, with the number of its first line.
struct LineChunk: Sendable {
    var bytes: [UInt8]
    var firstLine: Int
    /// Lines longer than the limit, skipped by the chunker: line number and the first bytes.
    var oversized: [(line: Int, prefix: [UInt8])] = []
}

/// Cuts a byte stream into chunks of whole lines so they can be parsed in parallel, with
/// memory bounded by the chunk size plus the longest allowed line.
final class LineChunker {
    private let source: any ByteSource
    private let chunkBytes: Int
    private let maximumLine: Int
    private var buffer: [UInt8] = []
    private var nextLine = 1
    private var atEnd = false
    private var pendingError: (any Error)?
    private var skippingLongLine = false
    private var atStart = true
    private var oversized: [(line: Int, prefix: [UInt8])] = []
    private var readBuffer: [UInt8]

    /// CSV records may hold newlines inside quotes: cut only at newlines outside quotes.
    private let quoteAware: Bool

    init(_ source: any ByteSource, chunkBytes: Int = 1 << 20, maximumLine: Int = 16 << 20, quoteAware: Bool = false) {
        self.source = source
        self.quoteAware = quoteAware
        self.chunkBytes = chunkBytes
        self.maximumLine = maximumLine
        readBuffer = [UInt8](repeating: 0, count: min(chunkBytes, 1 << 20))
    }

    var consumed: Int { source.consumed }

    func next() throws -> LineChunk? {
        while true {
            if let cut = lastNewline(), buffer.count >= chunkBytes || atEnd {
                return emit(upTo: cut + 1)
            }
            if atEnd {
                if !buffer.isEmpty || !oversized.isEmpty { return emit(upTo: buffer.count) }
                if let error = pendingError {
                    pendingError = nil
                    throw error
                }
                return nil
            }
            let n: Int
            do {
                n = try readBuffer.withUnsafeMutableBytes { try source.read(into: $0) }
            } catch {
                pendingError = error
                atEnd = true
                continue
            }
            if n == 0 {
                atEnd = true
                continue
            }
            if skippingLongLine {
                guard let nl = readBuffer[0..<n].firstIndex(of: 0x0A) else { continue }
                skippingLongLine = false
                nextLine += 1
                buffer.append(contentsOf: readBuffer[(nl + 1)..<n])
                continue
            }
            buffer.append(contentsOf: readBuffer[0..<n])
            if atStart {
                atStart = false
                // Spreadsheet tools put a UTF-8 byte order mark at the start of a file.
                if buffer.starts(with: [0xEF, 0xBB, 0xBF]) { buffer.removeFirst(3) }
            }
            if buffer.count > maximumLine, lastNewline() == nil {
                // One line is longer than allowed: keep its head for the quarantine, drop the rest.
                oversized.append((nextLine, Array(buffer.prefix(4096))))
                buffer.removeAll(keepingCapacity: false)
                skippingLongLine = true
            }
        }
    }

    private func lastNewline() -> Int? {
        if quoteAware { return lastNewlineOutsideQuotes() }
        return buffer.withUnsafeBufferPointer { b -> Int? in
            var i = b.count - 1
            while i >= 0 {
                if b[i] == 0x0A { return i }
                i -= 1
            }
            return nil
        }
    }

    /// The buffer always starts at a record boundary, so quote parity from its start is exact
    /// (an escaped `""` toggles twice).
    private func lastNewlineOutsideQuotes() -> Int? {
        buffer.withUnsafeBufferPointer { b -> Int? in
            var inQuotes = false
            var last: Int?
            for i in 0..<b.count {
                let c = b[i]
                if c == UInt8(ascii: "\"") {
                    inQuotes.toggle()
                } else if c == 0x0A && !inQuotes {
                    last = i
                }
            }
            return last
        }
    }

    private func emit(upTo end: Int) -> LineChunk {
        let bytes = Array(buffer[0..<end])
        buffer.removeSubrange(0..<end)
        let chunk = LineChunk(bytes: bytes, firstLine: nextLine, oversized: oversized)
        oversized = []
        nextLine += LineChunker.countNewlines(bytes)
        if end > 0, bytes[end - 1] != 0x0A { nextLine += 1 }
        return chunk
    }

    static func countNewlines(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { b in
            guard var p = b.baseAddress else { return 0 }
            let end = p + b.count
            var count = 0
            while p < end, let hit = memchr(p, 0x0A, end - p) {
                count += 1
                p = UnsafeRawPointer(hit) + 1
            }
            return count
        }
    }
}
