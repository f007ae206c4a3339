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
    /// The sources an `events:write` key may write (nil: none, unless the key is `admin`).
    public var sources: [String]?
    /// After this instant the key no longer works (nil: it does not expire).
    public var expiresAt: String?
    /// The secret a rotation replaced, still accepted until `previousValidUntil`.
    public var previousDigest: String?
    public var previousValidUntil: String?

    public var isRevoked: Bool { revokedAt != nil }
    public var scopeSet: Set<Scope> { Set(scopes) }

    /// Whether the key has expired at `epochSeconds`.
    public func hasExpired(at epochSeconds: Int64) -> Bool {
        guard let expiresAt, case .success(let t) = Timestamp.parse(expiresAt) else { return false }
        return t.epochSeconds <= epochSeconds
    }

    /// Whether a rotated-out secret is still accepted at `epochSeconds`.
    public func acceptsPrevious(at epochSeconds: Int64) -> Bool {
        guard previousDigest != nil, let until = previousValidUntil, case .success(let t) = Timestamp.parse(until)
        else {
            return false
        }
        return epochSeconds < t.epochSeconds
    }

    enum CodingKeys: String, CodingKey {
        case id, name, scopes, digest, prefix, sources
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case expiresAt = "expires_at"
        case previousDigest = "previous_digest"
        case previousValidUntil = "previous_valid_until"
    }
}
