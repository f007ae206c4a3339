/// A map for the few keys a value's statistics hold (event types, names, sources, currencies),
/// kept as one array sorted by key.
///
/// A rebuild holds statistics for every identifier value at once (600,000 at 200,000 persons).
/// A `Dictionary` costs 130–270 bytes of heap for one to four keys and hashes its key on every
/// count; five of them were most of a value's memory. Sorted entries also give equality and the
/// binary form a deterministic order for free. Lookups are linear: meant for a handful of keys.
public struct SmallMap<Value: Equatable & Sendable>: Equatable, Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: Value)
    public private(set) var entries: [Element] = []

    public init() {}

    public init(dictionaryLiteral elements: (String, Value)...) {
        for (key, value) in elements { self[key] = value }
    }

    public init(_ dictionary: [String: Value]) {
        entries = dictionary.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }
    }

    public var count: Int { entries.count }
    public var isEmpty: Bool { entries.isEmpty }
    public var keys: [String] { entries.map(\.key) }
    public var dictionary: [String: Value] { Dictionary(uniqueKeysWithValues: entries.lazy.map { ($0.key, $0.value) }) }

    public func makeIterator() -> IndexingIterator<[Element]> { entries.makeIterator() }

    /// Where `key` is, or where it would go to keep the entries sorted.
    private func slot(of key: String) -> (index: Int, found: Bool) {
        var i = 0
        while i < entries.count {
            let k = entries[i].key
            if k == key { return (i, true) }
            if key < k { break }
            i += 1
        }
        return (i, false)
    }

    public subscript(key: String) -> Value? {
        get {
            let s = slot(of: key)
            return s.found ? entries[s.index].value : nil
        }
        set {
            let s = slot(of: key)
            switch (s.found, newValue) {
            case (true, let value?): entries[s.index].value = value
            case (true, nil): entries.remove(at: s.index)
            case (false, let value?): entries.insert((key: key, value: value), at: s.index)
            case (false, nil): break
            }
        }
    }

    public subscript(key: String, default defaultValue: @autoclosure () -> Value) -> Value {
        get { self[key] ?? defaultValue() }
        _modify {
            var s = slot(of: key)
            if !s.found {
                entries.insert((key: key, value: defaultValue()), at: s.index)
                s.found = true
            }
            yield &entries[s.index].value
        }
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.entries.count == b.entries.count
            && zip(a.entries, b.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

/// Encoded as the JSON object a `[String: Value]` would be.
extension SmallMap: Codable where Value: Codable {
    public init(from decoder: any Decoder) throws {
        self.init(try [String: Value](from: decoder))
    }

    public func encode(to encoder: any Encoder) throws {
        try dictionary.encode(to: encoder)
    }
}
