import Foundation
import KithCore

/// What must hold for any bytes read as the records of a CSV export under a mapping, checked by
/// the libFuzzer target `csv` in `tools/fuzz` and, over its corpus, by `FuzzCorpusTests`.
@_spi(Fuzzing) public enum CSVFuzzInvariants {
    /// The header the fuzzed records follow, and a mapping that uses every kind of rule: a value
    /// map with a skip, a local-time format, identifiers, typed traits and properties.
    public static let header = "order_id,status,paid_at,buyer,mobile,mail,amount,vip,name"

    static let mapping: CompiledMapping = {
        let json = #"""
            {"source": "shop", "type": "transaction",
             "name": {"column": "status", "values": {"paid": "order_completed", "refunded": "refund", "closed": null}},
             "event_id": "order_id",
             "occurred_at": {"column": "paid_at", "format": "yyyy-MM-dd HH:mm:ss", "time_zone": "Asia/Shanghai"},
             "identifiers": {"customer_id": "buyer", "phone": "mobile", "email": "mail"},
             "traits": {"name": "name", "vip": {"column": "vip", "type": "boolean"}},
             "properties": {"order_id": "order_id", "amount": {"column": "amount", "type": "decimal"}}}
            """#
        do {
            let decoded = try JSONDecoder().decode(Mapping.self, from: Data(json.utf8))
            return try CompiledMapping(
                decoded, header: header.split(separator: ",").map(String.init), sourceOverride: nil)
        } catch {
            fatalError("the fuzz mapping does not compile: \(error)")
        }
    }()

    /// Every record is accounted for exactly once (landed, quarantined or skipped), every landed
    /// line is canonical (it parses back to itself), and cutting the input at a record boundary
    /// into two chunks, as the chunker does, yields the same records.
    public static func records(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool { violation(bytes) == nil }

    /// What broke, for the fuzzer's and the tests' messages; nil when everything holds.
    public static func violation(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        let whole = parse(Array(bytes), firstLine: 2)
        guard whole.records == whole.lines.count + whole.quarantined.count + whole.skipped else {
            return
                "records \(whole.records) ≠ landed \(whole.lines.count) + quarantined \(whole.quarantined.count) + skipped \(whole.skipped)"
        }
        let parser = EventLineParser()
        var start = 0
        for end in whole.lines.lineEnds {
            var again: [UInt8] = []
            let line = Array(whole.lines.bytes[start..<end - 1])  // without its newline
            guard case .success = line.withUnsafeBufferPointer({ parser.parse($0, appendingTo: &again) }), again == line
            else { return "landed line is not canonical: \(String(decoding: line, as: UTF8.self))" }
            start = end
        }
        let table = CSVTable.parse(LineChunk(bytes: Array(bytes), firstLine: 2), delimiter: 0x2C)
        if table.rows.count >= 2 {
            // Cut where the second record starts (after the first record's line end).
            var cut = table.rows[0].raw.upperBound
            while cut < bytes.count, bytes[cut] != 0x0A { cut += 1 }
            cut = min(bytes.count, cut + 1)
            let newlines = bytes[..<cut].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
            let first = parse(Array(bytes[..<cut]), firstLine: 2)
            let second = parse(Array(bytes[cut...]), firstLine: 2 + newlines)
            if first.lines.bytes + second.lines.bytes != whole.lines.bytes {
                return "cut at byte \(cut): landed lines differ from the whole input's"
            }
            if first.quarantined.map(\.line) + second.quarantined.map(\.line) != whole.quarantined.map(\.line) {
                return
                    "cut at byte \(cut): quarantined lines \(first.quarantined.map(\.line) + second.quarantined.map(\.line)) ≠ \(whole.quarantined.map(\.line))"
            }
            if first.records + second.records != whole.records { return "cut at byte \(cut): record counts differ" }
        }
        return nil
    }

    static func parse(_ bytes: [UInt8], firstLine: Int) -> ParsedChunk {
        ChunkParsing.csv(
            CSVTable.parse(LineChunk(bytes: bytes, firstLine: firstLine), delimiter: 0x2C), mapping: mapping,
            parser: EventLineParser(),
            origin: ChunkOrigin(file: "fuzz.csv", csvHeader: header, time: "2026-01-01T00:00:00Z"))
    }
}
