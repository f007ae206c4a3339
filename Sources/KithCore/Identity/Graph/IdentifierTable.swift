/// The identity graph's nodes by identifier, in one open-addressing table.
///
/// Every identifier of every event is looked up here: more than five million lookups in a
/// rebuild at 200,000 people. A `Dictionary` seeds a SipHash state and feeds it both strings
/// for each; this table hashes the two strings' bytes eight at a time, keeps a 32-bit tag of
/// the hash beside each node so that a probe compares strings only when the tags agree, and
/// seeds the hash at random per table, so values chosen to collide cannot be prepared in
/// advance.
///
/// Identifiers are told apart by their bytes, as the store's unique index on (kind, value) tells
/// them apart, and as an increment finds a stored value. A `Dictionary` compared them as Swift
/// strings, by canonical equivalence: two spellings of one accented letter were one value in a
/// rebuild and two in an increment.
///
/// For example:
/// ```swift
/// var index = IdentifierTable()
/// index.insert(Identifier(.phone, "+8613800138000"), as: 0)
/// index[Identifier(.phone, "+8613800138000")]   // 0
/// ```
struct IdentifierTable: Sendable {
    typealias Node = IdentityGraph.Node

    /// Per slot: 0 when free, else the hash's tag in the high half and the entry's index plus
    /// one in the low half.
    private var slots: [UInt64]
    /// The entries, in the order they were added: held once each, not once per slot (a slot
    /// array is half empty, and growing it copied every identifier beside its old copy). The
    /// identifier and its node side by side: a lookup reads both, one cache miss instead of two.
    private var entries: [(identifier: Identifier, node: Node)] = []
    /// 64 minus the base-2 logarithm of the capacity: a hash's top bits pick the slot.
    private var shift: UInt64
    private let seed: UInt64
    /// Identifiers held.
    var count: Int { entries.count }

    init() {
        slots = [UInt64](repeating: 0, count: 16)
        shift = 60
        seed = UInt64.random(in: .min ... .max)
    }

    /// Makes room for `count` entries (not slots: those are spread over the whole array).
    mutating func reserveCapacity(_ count: Int) {
        entries.reserveCapacity(count)
    }

    subscript(identifier: Identifier) -> Node? {
        let s = slots[slot(of: identifier, hash: hash(identifier))]
        return s == 0 ? nil : entries[Int(truncatingIfNeeded: s & 0xFFFF_FFFF) &- 1].node
    }

    /// Records `identifier` as `node`, replacing the node it had.
    mutating func insert(_ identifier: Identifier, as node: Node) {
        let h = hash(identifier)
        let i = slot(of: identifier, hash: h)
        if slots[i] == 0 {
            place(identifier, as: node, hash: h, at: i)
        } else {
            entries[Int(truncatingIfNeeded: slots[i] & 0xFFFF_FFFF) &- 1].node = node
        }
    }

    /// The node `identifier` has; or, when it has none, records it as `node` and returns nil.
    /// A graph observing an event's values asks this once per value, known or new.
    mutating func insertIfAbsent(_ identifier: Identifier, as node: Node) -> Node? {
        let h = hash(identifier)
        let i = slot(of: identifier, hash: h)
        let s = slots[i]
        if s != 0 { return entries[Int(truncatingIfNeeded: s & 0xFFFF_FFFF) &- 1].node }
        place(identifier, as: node, hash: h, at: i)
        return nil
    }

    private mutating func place(_ identifier: Identifier, as node: Node, hash h: UInt64, at i: Int) {
        precondition(node >= 0 && node < Node.max, "node \(node) is not a value of a graph")
        precondition(entries.count < Int(UInt32.max) - 1, "more identifiers than a table can hold")
        entries.append((identifier, node))
        slots[i] = (h >> 32) << 32 | UInt64(entries.count)
        // At most 70 % full: linear probes stay short.
        if entries.count * 10 > slots.count * 7 { grow() }
    }

    /// The slot holding `identifier`, or the free slot where it belongs.
    @inline(__always)
    private func slot(of identifier: Identifier, hash h: UInt64) -> Int {
        let mask = slots.count &- 1
        let tag = h >> 32
        var i = Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> shift)
        while true {
            let s = slots[i]
            if s == 0 { return i }
            if s >> 32 == tag,
                IdentifierTable.sameBytes(entries[Int(truncatingIfNeeded: s & 0xFFFF_FFFF) &- 1].identifier, identifier)
            {
                return i
            }
            i = (i &+ 1) & mask
        }
    }

    private mutating func grow() {
        slots = [UInt64](repeating: 0, count: slots.count * 2)
        shift -= 1
        let mask = slots.count &- 1
        for (e, entry) in entries.enumerated() {
            // Keys are distinct, so the first free slot is theirs; the tag is half the hash.
            let h = hash(entry.identifier)
            var i = Int(truncatingIfNeeded: (h &* 0x9E37_79B9_7F4A_7C15) >> shift)
            while slots[i] != 0 { i = (i &+ 1) & mask }
            slots[i] = (h >> 32) << 32 | UInt64(e + 1)
        }
    }

    @inline(__always)
    private static func sameBytes(_ a: Identifier, _ b: Identifier) -> Bool {
        sameBytes(a.value, b.value) && sameBytes(a.kind.rawValue, b.kind.rawValue)
    }

    @inline(__always)
    private static func sameBytes(_ a: String, _ b: String) -> Bool {
        var a = a
        var b = b
        return a.withUTF8 { x in
            b.withUTF8 { y in
                x.count == y.count && x.elementsEqual(y)
            }
        }
    }

    /// A 64-bit hash of the kind's and the value's bytes under this table's seed.
    @inline(__always)
    private func hash(_ identifier: Identifier) -> UInt64 {
        var h = seed
        IdentifierTable.mix(identifier.kind.rawValue, into: &h)
        IdentifierTable.mix(identifier.value, into: &h)
        return h ^ (h >> 31)
    }

    @inline(__always)
    private static func mix(_ text: String, into h: inout UInt64) {
        var text = text
        text.withUTF8 { bytes in
            let n = bytes.count
            guard let base = bytes.baseAddress else {
                h = (h ^ 0xFF) &* 0x9E37_79B9_7F4A_7C15
                return
            }
            let raw = UnsafeRawPointer(base)
            var i = 0
            while i &+ 8 <= n {
                h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x9E37_79B9_7F4A_7C15
                h ^= h >> 29
                i &+= 8
            }
            var tail = UInt64(n) << 56
            var shift: UInt64 = 0
            while i < n {
                tail |= UInt64(base[i]) << shift
                shift &+= 8
                i &+= 1
            }
            h = (h ^ tail) &* 0x9E37_79B9_7F4A_7C15
            h ^= h >> 32
        }
    }
}
