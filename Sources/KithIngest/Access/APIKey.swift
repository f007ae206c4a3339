import KithCore

/// A stored API key: never the key itself, only its SHA-256 digest and a short prefix that lets a
/// person tell keys apart in `kith keys list`.
public struct APIKey: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var scopes: [Scope]
    /// Hex SHA-256 of the whole key.
    public var digest: String
    /// The key's first characters (`kith_3f9a1c…`), safe to show.
    public var prefix: String
    public var createdAt: String
    public var revokedAt: String?

    public var isRevoked: Bool { revokedAt != nil }
    public var scopeSet: Set<Scope> { Set(scopes) }

    enum CodingKeys: String, CodingKey {
        case id, name, scopes, digest, prefix
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
    }
}
