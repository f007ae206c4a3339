/// What must hold for any bytes at all, checked by the libFuzzer targets in `tools/fuzz` and,
/// over their corpus (seeds plus every crash ever found), by `FuzzCorpusTests` in every test run.
package enum FuzzInvariants {
    /// Parsing any bytes neither crashes nor loops; a line that is accepted has a canonical form
    /// that parses again to exactly itself, with the same idempotency key.
    package static func eventLine(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        let parser = EventLineParser()
        var canonical: [UInt8] = []
        guard case .success(let first) = parser.parse(bytes, appendingTo: &canonical) else { return true }
        var again: [UInt8] = []
        let second = canonical.withUnsafeBufferPointer { parser.parse($0, appendingTo: &again) }
        guard case .success(let reparsed) = second else { return false }
        return again == canonical && reparsed.key == first.key
            && canonical.withUnsafeBufferPointer { CanonicalLine.key(of: $0) } == first.key
    }

    /// Normalising any valid UTF-8 as any kind of identifier neither crashes nor loops; a value
    /// that is accepted normalises to itself (normalisation is idempotent). Invalid UTF-8 never
    /// reaches the normaliser: ingest quarantines it first (`bad_encoding`).
    package static func identifier(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard String(validating: bytes, as: UTF8.self) != nil else { return true }
        for kind in [IdentifierKind.phone, .email, .memberID] {
            var once: [UInt8] = []
            guard IdentifierNormalizer.normalize(kind, bytes: bytes, appendingTo: &once) == nil else { continue }
            var twice: [UInt8] = []
            let problem = once.withUnsafeBufferPointer { IdentifierNormalizer.normalize(kind, bytes: $0, appendingTo: &twice) }
            if problem != nil || twice != once { return false }
        }
        return true
    }
}
