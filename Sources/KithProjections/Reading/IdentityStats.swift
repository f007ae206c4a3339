import KithCore

/// The identity graph in numbers, as `kith identity stats` and the demo report it.
public struct IdentityStats: Codable, Sendable {
    public var profiles: Int
    public var identifierValues: Int
    public var linkedValues: Int
    public var merges: Int
    public var splits: Int
    public var refusedLinksByRule: [String: Int]
    public var sharedValues: Int
    public var blocklistedValues: Int
    /// Values matching a never-link pattern of the rules.
    public var neverLinkValues: Int
    /// Values the evidence guard stopped.
    public var contestedValues: Int
    public var largestProfile: String?
    public var largestProfileValues: Int
    public var checkpoint: UInt64

    enum CodingKeys: String, CodingKey {
        case profiles, merges, splits, checkpoint
        case identifierValues = "identifier_values"
        case linkedValues = "linked_values"
        case refusedLinksByRule = "refused_links_by_rule"
        case sharedValues = "shared_values"
        case blocklistedValues = "blocklisted_values"
        case neverLinkValues = "never_link_values"
        case contestedValues = "contested_values"
        case largestProfile = "largest_profile"
        case largestProfileValues = "largest_profile_values"
    }
}

extension ProfileQueries {
    /// Counts over the whole graph, from one committed state.
    public func identityStats() throws -> IdentityStats {
        try reading { snapshot in
            var sizes: [String: Int] = [:]
            var linked = 0
            try snapshot.forEachMember { _, profile in
                sizes[profile, default: 0] += 1
                linked += 1
            }
            var merges = 0
            var splits = 0
            try snapshot.forEachChange { change in
                switch change.kind {
                case .merged: merges += 1
                case .split: splits += 1
                }
            }
            var refused: [String: Int] = [:]
            try snapshot.forEachRefusedLink { _, _, rule in refused[rule, default: 0] += 1 }
            var standings: [IdentityResolver.Standing.Kind: Int] = [:]
            try snapshot.forEachStanding { _, standing in standings[standing.kind, default: 0] += 1 }
            // The largest profile; on a tie, the smallest id (byte order).
            let largest = sizes.min { a, b in
                a.value != b.value ? a.value > b.value : a.key.utf8.lexicographicallyPrecedes(b.key.utf8)
            }
            return IdentityStats(
                profiles: sizes.count, identifierValues: try snapshot.valueCount(), linkedValues: linked,
                merges: merges, splits: splits, refusedLinksByRule: refused, sharedValues: standings[.shared] ?? 0,
                blocklistedValues: standings[.blocklisted] ?? 0, neverLinkValues: standings[.neverLinks] ?? 0,
                contestedValues: standings[.contested] ?? 0, largestProfile: largest?.key,
                largestProfileValues: largest?.value ?? 0, checkpoint: try snapshot.checkpoint())
        }
    }

    /// Every current profile as its identifier values, in profile id order (for scoring
    /// against a ground truth).
    public func clusters() throws -> [[Identifier]] {
        try reading { snapshot in
            var identifiers: [IdentityGraph.Node: Identifier] = [:]
            try snapshot.forEachNode { node, info in identifiers[node] = info.identifier }
            var byProfile: [String: [Identifier]] = [:]
            try snapshot.forEachMember { node, profile in
                if let identifier = identifiers[node] { byProfile[profile, default: []].append(identifier) }
            }
            return byProfile.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }.map(\.value)
        }
    }
}
