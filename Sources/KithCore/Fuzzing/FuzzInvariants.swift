/// What must hold for any bytes at all, checked by the libFuzzer targets in `tools/fuzz` and,
/// over their corpus (seeds plus every crash ever found), by `FuzzCorpusTests` in every test run.
@_spi(Fuzzing) public enum FuzzInvariants {
    /// Parsing any bytes neither crashes nor loops; a line that is accepted has a canonical form
    /// that parses again to exactly itself, with the same idempotency key.
    public static func eventLine(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let parser = EventLineParser()
        var canonical: [UInt8] = []
        guard case .success(let first) = parser.parse(bytes, appendingTo: &canonical) else { return true }
        var again: [UInt8] = []
        let second = canonical.withUnsafeBufferPointer { parser.parse($0, appendingTo: &again) }
        guard case .success(let reparsed) = second else { return false }
        return again == canonical && reparsed.key == first.key
            && canonical.withUnsafeBufferPointer { CanonicalLine.key(of: $0) } == first.key
    }

    /// Normalising any bytes as any kind of identifier neither crashes nor loops; a value that
    /// is accepted is valid UTF-8 and normalises to itself (normalisation is idempotent).
    public static func identifier(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        for kind in [IdentifierKind.phone, .email, .memberID] {
            var once: [UInt8] = []
            guard IdentifierNormalizer.normalize(kind, bytes: bytes, appendingTo: &once) == nil else { continue }
            if String(validating: once, as: UTF8.self) == nil { return false }
            var twice: [UInt8] = []
            let problem = once.withUnsafeBufferPointer {
                IdentifierNormalizer.normalize(kind, bytes: $0, appendingTo: &twice)
            }
            if problem != nil || twice != once { return false }
        }
        return true
    }

    /// Decoding any request text neither crashes nor loops, and what is accepted is what the
    /// server can use: a non-blank key without surrounding blanks, a limit in range, cursors
    /// that round-trip. The input is read as lines: authorization header, X-API-Key header,
    /// limit, cursor, identifier reference (missing lines are absent values).
    public static func request(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let fields = bytes.split(separator: 0x0A, maxSplits: 4, omittingEmptySubsequences: false)
            .map { String(decoding: UnsafeBufferPointer(rebasing: $0), as: UTF8.self) }
        func field(_ i: Int) -> String? { i < fields.count ? fields[i] : nil }
        if let key = RequestDecoding.apiKey(authorization: field(0), apiKeyHeader: field(1)) {
            if key.isEmpty || RequestDecoding.trimmingBlanks(key) != key { return false }
        }
        if let limit = RequestDecoding.limit(field(2), fallback: 50, maximum: 500), !(1...500).contains(limit) {
            return false
        }
        for text in fields {
            // Any text survives the trip through a cursor; any cursor accepted re-encodes to one
            // that decodes to the same text.
            if RequestDecoding.cursorText(RequestDecoding.cursor(encoding: text)) != text { return false }
            if let decoded = RequestDecoding.cursorText(text),
                RequestDecoding.cursorText(RequestDecoding.cursor(encoding: decoded)) != decoded
            {
                return false
            }
            if let cursor = TimelineCursor(encoded: text),
                TimelineCursor(encoded: cursor.encoded) != cursor
                    || TimelineCursor(text: cursor.text) != cursor
            {
                return false
            }
        }
        if let reference = field(4).flatMap(RequestDecoding.identifierReference) {
            if reference.raw.isEmpty || reference.kind.rawValue.isEmpty { return false }
        }
        return true
    }
}
