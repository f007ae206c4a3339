/// A profile's id is derived from its anchor: the earliest identifier value it holds. When two
/// profiles merge, the union's anchor is the older of the two, so the older id survives and the
/// other becomes an alias (its anchor is now inside the merged profile). When a profile splits,
/// the part holding the anchor keeps the id and every old id still resolves through its anchor.
public enum ProfileID {
    /// `p` and 16 hex digits of a stable hash of `kind:value`.
    public static func of(_ anchor: Identifier) -> String {
        var bytes = Array(anchor.kind.rawValue.utf8)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: anchor.value.utf8)
        let key = bytes.withUnsafeBufferPointer { EventKey(hashing: $0) }
        let hex = String(key.high, radix: 16)
        return "p" + String(repeating: "0", count: 16 - hex.count) + hex
    }
}
