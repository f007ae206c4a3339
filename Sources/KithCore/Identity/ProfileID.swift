/// How a profile's id is derived from its anchor: the earliest identifier value it holds. When
/// two profiles merge, the union's anchor is the older of the two, so the older id survives and
/// the other becomes an alias (its anchor is now inside the merged profile). When a profile
/// splits, the part holding the anchor keeps the id and every old id still resolves through its
/// anchor.
///
/// Ids are keyed with the installation's secret (HMAC-SHA256): stable for one data directory,
/// but hashing candidate phone numbers finds nobody's id without the secret. `unkeyed` is how
/// ids were made before, kept so old stores can be recognised and their ids kept as aliases.
public struct ProfileIDs: Sendable, Equatable {
    let key: HMACKey?

    /// Ids keyed with `key` (the installation secret's key for profile ids).
    public init(key: [UInt8]) { self.key = HMACKey(key) }

    private init(unkeyed: Void) { key = nil }

    /// `p` and 16 hex digits of an unkeyed 64-bit hash: how ids were made before they were keyed.
    public static let unkeyed = ProfileIDs(unkeyed: ())

    /// `p` and 16 hex digits.
    public func of(_ anchor: Identifier) -> String {
        var bytes = Array(anchor.kind.rawValue.utf8)
        bytes.append(UInt8(ascii: ":"))
        bytes.append(contentsOf: anchor.value.utf8)
        guard let key else {
            let hash = bytes.withUnsafeBufferPointer { EventKey(hashing: $0) }
            let hex = String(hash.high, radix: 16)
            return "p" + String(repeating: "0", count: 16 - hex.count) + hex
        }
        return "p" + Hex.string(key.sha256(bytes).prefix(8))
    }

    /// Names the scheme without revealing the key, so a store can tell whether its ids were
    /// made with this one.
    public var scheme: String {
        guard let key else { return "unkeyed" }
        return "hmac-sha256:" + Hex.string(key.sha256(Array("profile id scheme".utf8)).prefix(6))
    }
}
