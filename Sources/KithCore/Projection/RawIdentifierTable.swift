/// The distinct identifiers of some columns, as the log holds them (a kind's string in the
/// columns' table, the value's bytes before normalisation), interned by an open-addressing
/// table over the bytes themselves: a lookup allocates nothing.
struct RawIdentifierTable: Sendable {
    /// Each identifier's kind, as an index into the columns' strings.
    var kinds: [UInt32] = []
    var valueEnds: [UInt32] = []
    var valueBytes: [UInt8] = []
    /// Index + 1 of the identifier in each slot, 0 for an empty one; a power of two long.
    private var slots: [UInt32] = []

    var count: Int { kinds.count }

    func valueRange(_ i: Int) -> Range<Int> { valueEnds.entry(i) }

    /// The index of (kind, value), added when new.
    mutating func intern(kind: UInt32, value: [UInt8]) -> UInt32 {
        if slots.count < 2 * (count + 1) { grow() }
        let mask = slots.count - 1
        var slot = hash(kind, value[...]) & mask
        while slots[slot] != 0 {
            let i = Int(slots[slot] - 1)
            if kinds[i] == kind && valueBytes[valueRange(i)].elementsEqual(value) { return UInt32(i) }
            slot = (slot + 1) & mask
        }
        kinds.append(kind)
        valueBytes.append(contentsOf: value)
        valueEnds.append(UInt32(valueBytes.count))
        slots[slot] = UInt32(count)
        return UInt32(count - 1)
    }

    private mutating func grow() {
        slots = [UInt32](repeating: 0, count: max(1_024, slots.count * 2))
        let mask = slots.count - 1
        for i in 0..<count {
            var slot = hash(kinds[i], valueBytes[valueRange(i)]) & mask
            while slots[slot] != 0 { slot = (slot + 1) & mask }
            slots[slot] = UInt32(i + 1)
        }
    }

    private func hash(_ kind: UInt32, _ value: ArraySlice<UInt8>) -> Int {
        var h = Hasher()
        h.combine(kind)
        value.withUnsafeBytes { h.combine(bytes: $0) }
        return h.finalize()
    }

    /// Each identifier normalised as `ProjectedEvent.decode` would under these declared kinds,
    /// nil where normalisation refuses it.
    func normalized(kindNames: [String], declaredKinds: [String: IdentifierNormalizer.Method]) -> [Identifier?] {
        var out: [Identifier?] = []
        out.reserveCapacity(count)
        var kindOf: [UInt32: IdentifierKind] = [:]
        var normalized: [UInt8] = []
        valueBytes.withUnsafeBufferPointer { bytes in
            for i in 0..<count {
                let k = kinds[i]
                let kind = kindOf[k] ?? IdentifierKind(rawValue: kindNames[Int(k)])
                kindOf[k] = kind
                normalized.removeAll(keepingCapacity: true)
                let problem = IdentifierNormalizer.normalize(
                    kind, bytes: UnsafeBufferPointer(rebasing: bytes[valueRange(i)]), appendingTo: &normalized,
                    method: declaredKinds[kind.rawValue])
                out.append(problem == nil ? Identifier(kind, String(decoding: normalized, as: UTF8.self)) : nil)
            }
        }
        return out
    }
}
