/// Where a one-pass rebuild's time went, stage by stage, as its progress line names them: what
/// `kith project --format json` reports, so a user sees which part a larger log grows, and
/// `kith bench identity` the resolver's own time.
public struct RebuildStages: Codable, Sendable, Equatable {
    /// Reading the log and folding it into the graph and the values' statistics.
    public var read = 0.0
    /// Writing the values' rows and statistics.
    public var values = 0.0
    /// Resolving identity over the whole graph (and working out the profiles' ids), wherever
    /// it ran.
    public var identity = 0.0
    /// Whether identity was resolved on a second thread while the values were written (see
    /// `Projector.overlapCeiling`); then only `waitedForIdentity` of it added to the rebuild.
    public var identityAlongside = false
    /// How long the writer waited for identity once the values were written.
    public var waitedForIdentity = 0.0
    /// Writing links, memberships and profiles, building the indexes, and committing.
    public var commit = 0.0

    public init() {}

    enum CodingKeys: String, CodingKey {
        case read, values, identity, commit
        case identityAlongside = "identity_alongside"
        case waitedForIdentity = "waited_for_identity"
    }
}
