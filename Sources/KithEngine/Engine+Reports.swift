import Foundation
import KithCore
import KithProjections

/// The whole-store reads every surface offers: identity figures, the review queue of junk
/// values, and the exports other tools score against.
extension Engine {
    /// Profiles, values, merges, splits and guards, as the store stands.
    public static func identityStats(in store: some ProfileQueries) throws -> IdentityStats {
        try wrapping { try store.identityStats() }
    }

    /// Every profile's identifier values, for scoring against a ground truth.
    public static func clusters(in store: some ProfileQueries) throws -> [[Identifier]] {
        try wrapping { try store.clusters() }
    }

    /// Every rules set applied to the store, the one in force first.
    public static func rulesApplied(in store: some ProfileQueries) throws -> [AppliedRules] {
        try wrapping { try store.rulesApplied() }
    }

    /// Up to `limit` values most likely to be junk, most profiles touched first; with
    /// `onlyUnstopped`, only those no guard caught yet (the ones a person must review).
    public static func suspects(
        in store: some ProfileQueries, limit: Int, onlyUnstopped: Bool = false, rules: Rules
    ) throws -> [Suspect] {
        let list = try wrapping { try store.suspects(limit: onlyUnstopped ? Int.max : limit, rules: rules) }
        return onlyUnstopped ? Array(list.filter { !$0.isStopped }.prefix(limit)) : list
    }

    /// Hands `body` every profile as `kith profiles export` writes it, in profile-id order.
    public static func exportProfiles(
        from store: some ProfileQueries, traitRules: TraitRules, _ body: (ProfileExportLine) throws -> Void
    ) throws {
        try wrapping { try store.forEachProfile(traitRules: traitRules) { try body(ProfileExportLine($0)) } }
    }

    /// Hands `body` every scored profile's RFM line, in profile-id order, with the view they
    /// belong to. Throws `noRFMView` before the first refresh.
    @discardableResult
    public static func exportRFM(from store: some ProfileQueries, _ body: (RFMLine) throws -> Void) throws -> RFMView {
        let view = try rfmView(of: store)
        try wrapping {
            try store.forEachRFM { entry in
                if entry.score != nil { try body(RFMLine(entry, currency: view.model.currency)) }
                return true
            }
        }
        return view
    }

    static func wrapping<T>(_ body: () throws -> T) throws -> T {
        do { return try body() } catch { throw EngineError(wrapping: error) }
    }
}

/// One line of `kith profiles export`: the contract other tools score against.
public struct ProfileExportLine: Encodable, Sendable {
    public var profileID: String
    public var identifiers: [String: [String]]
    public var traits: [String: String]
    public var stats: ProfileView.Stats
    public var rfm: ProfileView.RFM?

    enum CodingKeys: String, CodingKey {
        case identifiers, traits, stats, rfm
        case profileID = "profile_id"
    }

    init(_ view: ProfileView) {
        profileID = view.profileID
        identifiers = view.identifiers.mapValues { $0.map(\.value) }
        traits = view.traits.mapValues(\.value)
        stats = view.stats
        rfm = view.rfm
    }

    /// The well-known identifier kinds, one CSV column each.
    static let kinds = IdentifierKind.wellKnown.map(\.rawValue)

    /// The CSV export's header.
    public static let csvHeader =
        (["profile_id"] + kinds + [
            "traits", "events", "orders", "net_spend_cny", "first_seen", "last_seen", "segment", "stage",
        ])
        .joined(separator: ",")

    /// The CSV export's cells, unescaped; traits as JSON by `encoder` (sorted keys, for a
    /// stable export).
    public func csvCells(encoder: JSONEncoder) throws -> [String] {
        let traitText = String(decoding: try encoder.encode(traits), as: UTF8.self)
        return [profileID] + Self.kinds.map { (identifiers[$0] ?? []).joined(separator: "|") } + [
            traitText, String(stats.events), String(stats.orders), stats.netSpend["CNY"] ?? "",
            stats.firstSeen ?? "", stats.lastSeen ?? "", rfm?.segment?.key ?? "", rfm?.stage.key ?? "",
        ]
    }
}
