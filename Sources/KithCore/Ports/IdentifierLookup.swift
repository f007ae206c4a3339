/// Everything a lookup by identifier reads, from one committed state: the value, the profile
/// it belongs to with all that profile's values, or its standing when it links nothing, and the
/// RFM model the view scores with.
///
/// It is the read-side port's one composite read, because a lookup is the API's hot path and a
/// store whose every read is a round trip (PostgreSQL) answers it in one statement where the
/// reads it is made of take five.
public struct IdentifierLookup: Sendable {
    public var node: IdentityGraph.Node
    /// The value's current profile; nil when it links nothing.
    public var profile: String?
    /// The profile's values, by kind, then value (byte order); empty without a profile.
    public var values: [StoredValue]
    /// Why the value links nothing (nil while it belongs to a profile, and for a value that
    /// never linked anything).
    public var standing: IdentityResolver.Standing?
    /// The model of the last RFM refresh, nil before the first; read only with a profile.
    public var model: RFMModel?

    public init(
        node: IdentityGraph.Node, profile: String?, values: [StoredValue], standing: IdentityResolver.Standing?,
        model: RFMModel?
    ) {
        self.node = node
        self.profile = profile
        self.values = values
        self.standing = standing
        self.model = model
    }
}

extension ProfileSnapshot {
    /// The lookup of `identifier` (normalised), from the snapshot's plain reads; nil when the
    /// store has never seen it.
    public func lookUp(_ identifier: Identifier) throws -> IdentifierLookup? {
        guard let node = try nodes(identifiedBy: [identifier]).keys.first else { return nil }
        guard let profile = try profiles(of: [node])[node] else {
            return IdentifierLookup(
                node: node, profile: nil, values: [], standing: try standings(of: [node])[node], model: nil)
        }
        return IdentifierLookup(
            node: node, profile: profile, values: try values(of: profile), standing: nil, model: try rfmModel())
    }
}

extension ProfileQueries {
    /// The default: the plain reads in one snapshot.
    public func lookUp(_ identifier: Identifier) throws -> IdentifierLookup? {
        try reading { try $0.lookUp(identifier) }
    }

    /// The default: `lookUp`, in place.
    public func lookUpConcurrently(_ identifier: Identifier) async throws -> IdentifierLookup? {
        try lookUp(identifier)
    }
}
