/// Sorts values by identifier (kind name, then value), the order
/// `KindRules.identifier(of:precedes:in:)` defines, from three words packed once per value: the
/// kind's place in name order and the first 23 bytes of the value. Comparing those words decides
/// almost every pair; only values that share their first 23 bytes are compared as text (with
/// 15 bytes, `member_id-123456` tied with nine others).
///
/// A rebuild sorts every linking value this way. Comparing the values' text pair by pair read
/// two values from the graph for each of the sort's comparisons, and took 5 % of a rebuild.
///
/// For example:
/// ```swift
/// let order = IdentifierOrder.sorted(linking, in: graph, kinds: kinds)  // indices into linking
/// ```
enum IdentifierOrder {
    typealias Node = IdentityGraph.Node

    /// The indices of `nodes`, in the order of their identifiers.
    static func sorted(_ nodes: [Node], in graph: IdentityGraph, kinds: KindRules) -> [Int32] {
        // Each value's words and index side by side, sorted as they are: sorting indices that
        // pointed into arrays of words cost a cache miss a comparison.
        var entries: [Entry] = []
        entries.reserveCapacity(nodes.count)
        for (i, n) in nodes.enumerated() {
            let rank = kinds.nameRank[Int(graph.kindCode(of: n))]
            // Byte order is text order for ASCII only; other text, or more kinds than a byte
            // counts, is compared as `KindRules` does.
            let key =
                rank < 256
                ? graph.nodes.read(Int(n)) { info in
                    info.identifier.value.utf8.withContiguousStorageIfAvailable { Self.key(rank: UInt64(rank), $0) }
                        ?? nil
                } : nil
            guard let key else {
                return (0..<Int32(nodes.count)).sorted {
                    kinds.identifier(of: nodes[Int($0)], precedes: nodes[Int($1)], in: graph)
                }
            }
            entries.append(
                Entry(high: key.high, middle: key.middle, low: key.low, index: Int32(i), isWhole: key.isWhole))
        }
        entries.sort { a, b in
            if a.high != b.high { return a.high < b.high }
            if a.middle != b.middle { return a.middle < b.middle }
            if a.low != b.low { return a.low < b.low }
            // Two values can only share both words when neither fits in them.
            if a.isWhole && b.isWhole { return false }
            return kinds.identifier(of: nodes[Int(a.index)], precedes: nodes[Int(b.index)], in: graph)
        }
        return entries.map(\.index)
    }

    private struct Entry {
        var high: UInt64
        var middle: UInt64
        var low: UInt64
        var index: Int32
        var isWhole: Bool
    }

    /// The rank in the top byte, then the value's first 23 bytes big-endian, zero-padded (a
    /// shorter value sorts first, as in text); nil for a value that is not all ASCII, or holds a
    /// zero byte the padding could not be told from.
    private static func key(rank: UInt64, _ bytes: UnsafeBufferPointer<UInt8>) -> (
        high: UInt64, middle: UInt64, low: UInt64, isWhole: Bool
    )? {
        var words: (UInt64, UInt64, UInt64) = (rank << 56, 0, 0)
        for (i, byte) in bytes.enumerated() {
            guard byte < 0x80, byte != 0 else { return nil }
            if i < 7 {
                words.0 |= UInt64(byte) << (8 * (6 - UInt64(i)))
            } else if i < 15 {
                words.1 |= UInt64(byte) << (8 * (14 - UInt64(i)))
            } else if i < 23 {
                words.2 |= UInt64(byte) << (8 * (22 - UInt64(i)))
            }
        }
        return (words.0, words.1, words.2, bytes.count <= 23)
    }
}
