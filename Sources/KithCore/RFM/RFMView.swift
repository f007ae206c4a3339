/// The RFM view as a refresh left it: the fitted model, the segment and lifecycle summary,
/// and what it was measured against.
public struct RFMView: Codable, Sendable, Equatable {
    public var asOf: Int64
    /// Whether `as_of` was set explicitly (`kith rfm refresh --as-of T`); refreshes after
    /// projection keep a pinned instant and otherwise use the current time.
    public var pinned: Bool
    /// The log position the raw values had reached.
    public var position: UInt64
    public var rulesHash: String
    public var refreshedAt: String
    public var model: RFMModel
    public var summary: RFMSummary

    public init(
        asOf: Int64, pinned: Bool, position: UInt64, rulesHash: String, refreshedAt: String, model: RFMModel,
        summary: RFMSummary
    ) {
        self.asOf = asOf
        self.pinned = pinned
        self.position = position
        self.rulesHash = rulesHash
        self.refreshedAt = refreshedAt
        self.model = model
        self.summary = summary
    }

    enum CodingKeys: String, CodingKey {
        case pinned, position, model, summary
        case asOf = "as_of"
        case rulesHash = "rules_hash"
        case refreshedAt = "refreshed_at"
    }
}

/// Rules a refresh applied, as the store records them (newest first in its history).
public struct AppliedRules: Sendable, Equatable {
    public var hash: String
    public var appliedAt: String
    /// The rules as canonical JSON.
    public var rules: String

    public init(hash: String, appliedAt: String, rules: String) {
        self.hash = hash
        self.appliedAt = appliedAt
        self.rules = rules
    }
}
