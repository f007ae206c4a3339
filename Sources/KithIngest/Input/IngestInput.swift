/// Where an ingest reads from: a file (NDJSON, `.gz`, `.lz4`, or CSV by its name), bytes
/// already in memory (an HTTP body), or standard input. Every one goes through the same
/// chunking, parsing, quarantine and durable append.
public struct IngestInput: Sendable {
    enum Origin: Sendable {
        case file(String)
        case bytes([UInt8])
        case standardInput
    }

    let origin: Origin
    /// What summaries and quarantine records call it (a file's path).
    public let name: String
    /// Read as CSV (with a mapping) rather than NDJSON.
    public let isCSV: Bool

    /// A file; `.csv`/`.tsv` (optionally `.gz`/`.lz4`) is CSV, anything else NDJSON.
    public static func file(_ path: String) -> IngestInput {
        IngestInput(origin: .file(path), name: path, isCSV: Ingestor.isCSV(path))
    }

    /// Bytes in memory, called `name` in reports (`request body`).
    public static func bytes(_ bytes: [UInt8], named name: String, csv: Bool = false) -> IngestInput {
        IngestInput(origin: .bytes(bytes), name: name, isCSV: csv)
    }

    /// The process's standard input, called `stdin` in reports.
    public static func standardInput(csv: Bool = false) -> IngestInput {
        IngestInput(origin: .standardInput, name: "stdin", isCSV: csv)
    }

    /// Its size in bytes when known in advance (for progress); 0 for standard input.
    var size: Int {
        switch origin {
        case .file(let path): FileByteSource.size(of: path)
        case .bytes(let bytes): bytes.count
        case .standardInput: 0
        }
    }

    /// The file a CSV's mapping may sit beside.
    var path: String? {
        if case .file(let path) = origin { return path }
        return nil
    }

    func open() throws -> any ByteSource {
        switch origin {
        case .file(let path): try ByteSources.open(path)
        case .bytes(let bytes): MemoryByteSource(bytes)
        case .standardInput: try FileByteSource(path: "/dev/stdin", name: name)
        }
    }
}
