import Foundation
import KithCore

/// A line that could not land, kept whole so it can be fixed and retried.
public struct QuarantineRecord: Codable, Sendable, Equatable {
    public enum Format: String, Codable, Sendable { case ndjson, csv }

    /// Stable for the same file, line and bytes, so re-ingesting a file does not pile up copies
    /// (for posted bodies, the same bytes and source: a line posted twice is kept once).
    public var id: String
    public var file: String
    public var line: Int
    public var format: Format
    public var kind: QuarantineReason.Kind
    public var field: String?
    public var reason: String
    /// The original line (or CSV record) when it is valid UTF-8; otherwise `rawBase64`.
    public var raw: String?
    public var rawBase64: String?
    /// For CSV records: the header row and the mapping file they were read with.
    public var csvHeader: String?
    public var mapping: String?
    /// The `--source` given at ingest, applied again on retry.
    public var source: String?
    public var quarantinedAt: String

    enum CodingKeys: String, CodingKey {
        case id, file, line, format, kind, field, reason, raw
        case rawBase64 = "raw_base64"
        case csvHeader = "csv_header"
        case mapping, source
        case quarantinedAt = "quarantined_at"
    }

    public init(
        file: String, line: Int, format: Format, reason: QuarantineReason, raw: [UInt8], csvHeader: String? = nil,
        mapping: String? = nil, source: String? = nil, at time: String, identifiedByBytes: Bool = false
    ) {
        var identity: [UInt8]
        if identifiedByBytes {
            identity = Array("body\u{0}\(source ?? "")".utf8)
        } else {
            identity = Array(file.utf8)
            identity.append(0)
            identity.append(contentsOf: String(line).utf8)
        }
        identity.append(0)
        identity.append(contentsOf: raw)
        let key = identity.withUnsafeBufferPointer { EventKey(hashing: $0) }
        id = String(key.high, radix: 16) + String(key.low >> 32, radix: 16)
        self.file = file
        self.line = line
        self.format = format
        kind = reason.kind
        field = reason.field
        self.reason = reason.message
        if let text = String(validating: raw, as: UTF8.self) {
            self.raw = text
        } else {
            rawBase64 = Data(raw).base64EncodedString()
        }
        self.csvHeader = csvHeader
        self.mapping = mapping
        self.source = source
        quarantinedAt = time
    }

    public var rawBytes: [UInt8] {
        if let raw { return Array(raw.utf8) }
        if let rawBase64, let data = Data(base64Encoded: rawBase64) { return Array(data) }
        return []
    }
}
