/// Text that repeats (sources, names, trait keys and values, currencies), each distinct string
/// kept once and referred to by its place in `strings`: what the projection's columns store
/// instead of a string per event.
///
/// For example:
/// ```swift
/// var table = InternedStrings()
/// let ref = table.intern("pos")   // 0, and 0 again for every later "pos"
/// table[ref]                      // "pos"
/// ```
struct InternedStrings: Sendable {
    private(set) var strings: [String]
    /// Where each string is; covers `strings` once `intern` has been called.
    private var index: [String: UInt32] = [:]

    /// A table of `strings` as read back from storage. They are indexed on the first `intern`:
    /// reading needs no index, and hashing every string of every segment read would cost a
    /// rebuild time for nothing.
    init(_ strings: [String] = []) {
        self.strings = strings
    }

    var count: Int { strings.count }

    subscript(ref: UInt32) -> String { strings[Int(ref)] }

    /// The reference of `text`, added when new.
    mutating func intern(_ text: String) -> UInt32 {
        if index.count < strings.count {
            for (i, s) in strings.enumerated() where index[s] == nil { index[s] = UInt32(i) }
        }
        if let known = index[text] { return known }
        let ref = UInt32(strings.count)
        strings.append(text)
        index[text] = ref
        return ref
    }
}
