/// One fact per value of an `IdentityGraph`, indexed by node: the values kept in a store (ids
/// below `storedCount`) held sparsely, as they are loaded, and the values new to the graph in an
/// array.
///
/// A projector opened on a store of millions of values loads only the few thousand an increment
/// touches. A column of placeholders for every stored value cost an increment time and memory
/// in proportion to the store (3.5M placeholders at 800,000 people), not to its events.
///
/// For example:
/// ```swift
/// var names = NodeColumn(storedCount: 1_000, placeholder: "")
/// names[7] = "loaded"       // a stored value, kept sparsely
/// names.append("new")       // node 1000
/// ```
public struct NodeColumn<Element: Sendable>: RandomAccessCollection, Sendable {
    public typealias Index = Int

    // Inlinable, so that other modules (the projector) read a column without a generic call.
    /// Loaded stored values by node: at 5,000,000 people, a `Dictionary` here was 14 % of a
    /// batched catch-up's samples.
    @usableFromInline var stored: IntegerKeyTable<Int32, Element>
    @usableFromInline var fresh: [Element] = []
    /// Values kept in a store: ids `0..<storedCount`.
    public let storedCount: Int
    /// What a stored value reads as until it is loaded.
    public let placeholder: Element

    public init(storedCount: Int = 0, placeholder: Element) {
        self.storedCount = storedCount
        self.placeholder = placeholder
        stored = IntegerKeyTable(free: -1, filler: placeholder)
    }

    @inlinable public var startIndex: Int { 0 }
    @inlinable public var endIndex: Int { storedCount + fresh.count }

    @inlinable public subscript(node: Int) -> Element {
        get { node >= storedCount ? fresh[node &- storedCount] : stored[Int32(node)] ?? placeholder }
        set {
            if node >= storedCount {
                fresh[node &- storedCount] = newValue
            } else {
                precondition(node >= 0, "node \(node) is not a value of this graph")
                stored.set(Int32(node), to: newValue)
            }
        }
    }

    /// Changes one value's fact in place. A `_modify` accessor did the same, but its coroutine
    /// frame was allocated on the heap at every call (a malloc per value of every event).
    @inlinable @inline(__always)
    public mutating func modify<Result>(_ node: Int, _ body: (inout Element) -> Result) -> Result {
        if node >= storedCount { return body(&fresh[node &- storedCount]) }
        precondition(node >= 0, "node \(node) is not a value of this graph")
        return stored.modify(Int32(node), from: placeholder, body)
    }

    /// One value's fact as `body` reads it, in place: the subscript hands out a copy, and a copy
    /// of a value's `NodeInfo` retains and releases its identifier's two strings, which the
    /// resolver paid for every value it asked about only to read a count or a name hash.
    @inlinable @inline(__always)
    public func read<Result>(_ node: Int, _ body: (Element) -> Result) -> Result {
        if node >= storedCount { return fresh.withUnsafeBufferPointer { body($0[node &- storedCount]) } }
        return body(self[node])
    }

    /// Makes room for `count` values new to the graph.
    public mutating func reserveCapacity(_ count: Int) { fresh.reserveCapacity(count) }

    /// Adds a value new to the graph, as node `endIndex`.
    @inlinable public mutating func append(_ element: Element) { fresh.append(element) }
}
