/// What an ingest did, for people (`text`) and machines (`--format json`).
public struct IngestSummary: Codable, Sendable {
    public struct FileSummary: Codable, Sendable {
        public var path: String
        public var format: String
        public var records = 0
        public var accepted = 0
        public var duplicates = 0
        public var quarantined = 0
        public var skipped = 0
        public var error: String?
    }

    public var files: [FileSummary] = []
    public var accepted = 0
    public var duplicates = 0
    public var quarantined = 0
    public var quarantinedByKind: [String: Int] = [:]
    public var skipped = 0
    public var rejectedIdentifiers: [String: Int] = [:]
    public var bytesRead = 0
    public var seconds = 0.0
    public var eventsPerSecond = 0.0
    public var firstPosition: UInt64 = 0
    public var endPosition: UInt64 = 0
    public var recovery: [String] = []

    enum CodingKeys: String, CodingKey {
        case files, accepted, duplicates, quarantined
        case quarantinedByKind = "quarantined_by_kind"
        case skipped
        case rejectedIdentifiers = "rejected_identifiers"
        case bytesRead = "bytes_read"
        case seconds
        case eventsPerSecond = "events_per_second"
        case firstPosition = "first_position"
        case endPosition = "end_position"
        case recovery
    }

    public var failedFiles: Int { files.filter { $0.error != nil }.count }

    mutating func add(_ chunk: ParsedChunk, appended: Int, duplicates dups: Int, file: Int) {
        files[file].records += chunk.records
        files[file].accepted += appended
        files[file].duplicates += dups
        files[file].quarantined += chunk.quarantined.count
        files[file].skipped += chunk.skipped
        accepted += appended
        duplicates += dups
        quarantined += chunk.quarantined.count
        skipped += chunk.skipped
        for q in chunk.quarantined { quarantinedByKind[q.kind.rawValue, default: 0] += 1 }
        for (k, v) in chunk.rejectedIdentifiers { rejectedIdentifiers[k, default: 0] += v }
    }
}

/// Progress of a running ingest, reported after each chunk lands.
public struct IngestProgress: Sendable {
    public var file: String
    public var fileIndex: Int
    public var fileCount: Int
    public var bytesDone: Int
    public var bytesTotal: Int
    public var events: Int
    public var seconds: Double
}
