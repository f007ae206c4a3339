import KithCore
import KithProjections

/// The profile lookups every surface offers: one customer's view, timeline and explanation,
/// each from one committed state of the store.
extension Engine {
    /// The current profile `reference` (a profile id, old or current, or `KIND:VALUE`) leads to.
    public static func currentProfile(of reference: String, in store: some ProfileQueries) throws -> String {
        try store.reading { try current(of: reference, in: $0) }
    }

    private static func current(of reference: String, in snapshot: any ProfileSnapshot) throws -> String {
        guard let resolved = try snapshot.resolve(reference) else {
            throw EngineError(.noProfile, "no profile or identifier matches the reference")
        }
        guard let current = resolved.current else {
            throw EngineError(.noCurrentProfile, resolved.note ?? "it belongs to no profile now")
        }
        return current
    }

    /// The unified view of what `reference` leads to, saying how the two relate.
    public static func profile(
        _ reference: String, in store: some ProfileQueries, traitRules: TraitRules
    ) throws -> ProfileView {
        try view(try store.lookUpProfile(reference, traitRules: traitRules))
    }

    /// The view a lookup of `identifier` (which `reference` names) leads to, as
    /// `profile(_:in:traitRules:)` gives it: for a server that awaited the lookup
    /// (`ProfileQueries.lookUpConcurrently`).
    public static func profile(
        _ reference: String, _ identifier: Identifier, lookedUp found: IdentifierLookup?, traitRules: TraitRules
    ) throws -> ProfileView {
        try view(ProfileResolution.lookedUp(reference, identifier, found, traitRules: traitRules))
    }

    private static func view(_ lookedUp: (resolution: ProfileResolution, view: ProfileView?)?) throws -> ProfileView {
        guard let (resolved, view) = lookedUp else {
            throw EngineError(.noProfile, "no profile or identifier matches the reference")
        }
        guard let view else {
            throw EngineError(.noCurrentProfile, resolved.note ?? "it belongs to no profile now")
        }
        return view
    }

    /// One page of a profile's events, newest first, and where the next page starts (nil on
    /// the last page).
    public struct TimelinePage: Sendable {
        public var profileID: String
        public var entries: [TimelineEntry]
        public var next: TimelineCursor?
    }

    /// Up to `limit` of the events of the profile `reference` leads to, of one `type` if
    /// given, from `after` (where the previous page ended) on.
    public static func timeline(
        of reference: String, in store: some ProfileQueries, log: some EventLogReading, limit: Int,
        type: String? = nil, after: TimelineCursor? = nil
    ) throws -> TimelinePage {
        if let type, EventType(rawValue: type) == nil {
            throw EngineError(
                .badArgument,
                "unknown event type \"\(type)\"; expected one of \(EventType.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let id = try currentProfile(of: reference, in: store)
        // One more than asked for says whether there is a next page.
        let entries = try store.timeline(id, limit: limit + 1, type: type, before: after, in: log)
        let page = Array(entries.prefix(limit))
        return TimelinePage(profileID: id, entries: page, next: entries.count > limit ? page.last?.cursor : nil)
    }

    /// Why the profile `reference` leads to is one customer.
    public static func explain(
        _ reference: String, in store: some ProfileQueries, log: some EventLogReading
    ) throws -> ProfileExplanation {
        try store.explain(try currentProfile(of: reference, in: store), in: log)
    }
}
