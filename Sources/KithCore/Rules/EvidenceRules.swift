/// Which evidence says a value joins different people, so that it links nothing, however few
/// people share it (the shared-value guard needs volume; this needs none). Both are on unless a
/// rules file turns them off.
///
/// For example, in a rules file: `evidence: {names: true, limits: true}`.
public struct EvidenceRules: Codable, Sendable, Equatable {
    /// A value whose own events carry clearly different names, or that is seen with two values
    /// of one kind at least as strong as its own whose events do, is contested.
    public var names: Bool
    /// A value seen with more values of a stronger kind than a profile may hold (a phone seen
    /// with two member ids, under the standard limit of one) is contested.
    public var limits: Bool

    public init(names: Bool = true, limits: Bool = true) {
        self.names = names
        self.limits = limits
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        names = try c.decodeIfPresent(Bool.self, forKey: .names) ?? true
        limits = try c.decodeIfPresent(Bool.self, forKey: .limits) ?? true
    }
}
