/// A compact binary form of `NodeStats` for the projection store (JSON cost a third of
/// projection time). Version byte first, then fields in declaration order; integers as
/// zig-zag varints, strings as length + UTF-8, dictionaries sorted by key (deterministic bytes).
extension NodeStats {
    static let binaryVersion: UInt8 = 1

    public func binaryEncoded() -> [UInt8] {
        var w = ByteWriter()
        w.byte(NodeStats.binaryVersion)
        w.int(events)
        w.timestamp(firstSeen)
        w.timestamp(lastSeen)
        w.counts(byType)
        w.counts(byName)
        w.counts(bySource)
        w.int(orders)
        w.int(refunds)
        w.counts(spend)
        w.counts(gross)
        w.timestamp(lastOrder)
        w.int(npsSum)
        w.int(npsCount)
        w.scored(latestNPS)
        w.int(ratingSum)
        w.int(ratingCount)
        w.scored(latestRating)
        w.int(complaints)
        w.int(traits.count)
        for (key, list) in traits {
            w.string(key)
            w.int(list.count)
            for o in list {
                w.string(o.value)
                w.string(o.source)
                w.timestamp(o.at)
                w.int(o.count)
            }
        }
        return w.bytes
    }

    /// Nil when the bytes are not this format (the caller treats the row as damaged).
    public init?(binary bytes: [UInt8]) {
        var r = ByteReader(bytes)
        guard r.byte() == NodeStats.binaryVersion else { return nil }
        self.init()
        events = r.int()
        firstSeen = r.timestamp()
        lastSeen = r.timestamp()
        byType = r.counts()
        byName = r.counts()
        bySource = r.counts()
        orders = r.int()
        refunds = r.int()
        spend = r.counts()
        gross = r.counts()
        lastOrder = r.timestamp()
        npsSum = r.int()
        npsCount = r.int()
        latestNPS = r.scored()
        ratingSum = r.int()
        ratingCount = r.int()
        latestRating = r.scored()
        complaints = r.int()
        for _ in 0..<r.int() {
            let key = r.string()
            var list: [TraitObservation] = []
            for _ in 0..<r.int() {
                list.append(
                    TraitObservation(
                        value: r.string(), source: r.string(), at: r.timestamp() ?? Timestamp(epochSeconds: 0),
                        count: r.int()))
            }
            traits[key] = list
        }
        guard !r.failed, r.atEnd else { return nil }
    }
}

struct ByteWriter {
    var bytes: [UInt8] = []

    mutating func byte(_ b: UInt8) { bytes.append(b) }

    mutating func int<T: BinaryInteger>(_ value: T) {
        let v = Int64(value)
        var z = UInt64(bitPattern: (v << 1) ^ (v >> 63))
        while z >= 0x80 {
            bytes.append(UInt8(z & 0x7F) | 0x80)
            z >>= 7
        }
        bytes.append(UInt8(z))
    }

    mutating func string(_ s: String) {
        int(s.utf8.count)
        bytes.append(contentsOf: s.utf8)
    }

    mutating func timestamp(_ t: Timestamp?) {
        guard let t else { return byte(0) }
        byte(1)
        int(t.epochSeconds)
        int(t.nanoseconds)
        int(t.offsetMinutes)
    }

    /// Entries in key order, as they are kept.
    mutating func counts<Value: BinaryInteger>(_ map: SmallMap<Value>) {
        int(map.count)
        for (k, v) in map {
            string(k)
            int(v)
        }
    }

    mutating func scored(_ s: NodeStats.ScoredAt?) {
        guard let s else { return byte(0) }
        byte(1)
        int(s.score)
        timestamp(s.at)
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var index = 0
    var failed = false

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var atEnd: Bool { index == bytes.count }

    mutating func byte() -> UInt8 {
        guard index < bytes.count else {
            failed = true
            return 0
        }
        index += 1
        return bytes[index - 1]
    }

    mutating func int64() -> Int64 {
        var z: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            let b = byte()
            if failed || shift > 63 {
                failed = true
                return 0
            }
            z |= UInt64(b & 0x7F) << shift
            if b < 0x80 { break }
            shift += 7
        }
        return Int64(bitPattern: z >> 1) ^ -Int64(bitPattern: z & 1)
    }

    mutating func int() -> Int { Int(truncatingIfNeeded: int64()) }

    mutating func string() -> String {
        let n = int()
        guard n >= 0, index + n <= bytes.count else {
            failed = true
            return ""
        }
        defer { index += n }
        return String(decoding: bytes[index..<(index + n)], as: UTF8.self)
    }

    mutating func timestamp() -> Timestamp? {
        guard byte() == 1 else { return nil }
        return Timestamp(
            epochSeconds: int64(), nanoseconds: Int32(truncatingIfNeeded: int64()),
            offsetMinutes: Int16(truncatingIfNeeded: int64()))
    }

    mutating func counts<Value: BinaryInteger>() -> SmallMap<Value> {
        var d: SmallMap<Value> = [:]
        for _ in 0..<max(0, int()) where !failed { d[string()] = Value(truncatingIfNeeded: int64()) }
        return d
    }

    mutating func scored() -> NodeStats.ScoredAt? {
        guard byte() == 1 else { return nil }
        let score = int()
        return NodeStats.ScoredAt(score: score, at: timestamp() ?? Timestamp(epochSeconds: 0))
    }
}
