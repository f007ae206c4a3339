import KithCore

/// Why a profile is one customer: the links that join its values, each with the first event
/// that made it, and the links that were refused or cut.
public struct ProfileExplanation: Codable, Sendable, Equatable {
    public struct Evidence: Codable, Sendable, Equatable {
        public var position: UInt64
        public var source: String?
        public var eventID: String?
        public var occurredAt: String?
        public var events: Int

        enum CodingKeys: String, CodingKey {
            case position, source, events
            case eventID = "event_id"
            case occurredAt = "occurred_at"
        }
    }

    public struct Link: Codable, Sendable, Equatable {
        public var from: String
        public var to: String
        public var evidence: Evidence
        public var rule: String?
    }

    public var profileID: String
    public var values: [String]
    public var links: [Link]
    public var refused: [Link]
    /// Values seen with this profile's values that link nothing (shared, blocklisted…).
    public var cut: [Link]

    enum CodingKeys: String, CodingKey {
        case values, links, refused, cut
        case profileID = "profile_id"
    }

    /// Fills each link's evidence with the source, id and time of the event at its position.
    mutating func readEvidence(from log: some EventLogReading) throws {
        let events = try log.events(at: (links + refused + cut).map(\.evidence.position))
        func fill(_ list: inout [Link]) {
            for i in list.indices {
                guard let e = events[list[i].evidence.position] else { continue }
                list[i].evidence.source = e.source
                list[i].evidence.eventID = e.eventID
                list[i].evidence.occurredAt = e.occurredAt.description
            }
        }
        fill(&links)
        fill(&refused)
        fill(&cut)
    }
}

extension ProfileSnapshot {
    /// A profile's links, refused links and cut links from the store, without the events that
    /// made them (`ProfileQueries.explain` reads those from the log).
    public func explanation(of profile: String) throws -> ProfileExplanation {
        typealias Link = ProfileExplanation.Link
        let members = try members(of: profile)
        let inProfile = Set(members)
        let around = try neighbourhood(of: members)
        var edges: [UInt64: IdentityGraph.EdgeInfo] = [:]
        for e in around.edges { edges[IdentityGraph.key(e.a, e.b)] = e.info }
        // Each edge once, in (a, b) order, whichever end matched.
        let accepted = Set(around.links).filter { inProfile.contains(IdentityGraph.ends(of: $0).0) }.sorted()
        var refusedRules: [UInt64: String] = [:]
        for r in around.refused { refusedRules[r.edge] = r.rule }
        let outside = Set(
            edges.keys.flatMap { key -> [Node] in
                let (a, b) = IdentityGraph.ends(of: key)
                return [a, b].filter { !inProfile.contains($0) }
            })
        let standings = try standings(of: outside.sorted())
        let cut = edges.keys.filter { key in
            let (a, b) = IdentityGraph.ends(of: key)
            return standings[inProfile.contains(a) ? b : a] != nil
        }.sorted()
        let ends = Set(
            (accepted + refusedRules.keys + cut).flatMap { key -> [Node] in
                let (a, b) = IdentityGraph.ends(of: key)
                return [a, b]
            })
        let infos = try nodes(members + ends.subtracting(inProfile).sorted())
        func label(_ n: Node) -> String {
            infos[n].map { "\($0.identifier.kind.rawValue):\($0.identifier.value)" } ?? "node \(n)"
        }
        func link(_ key: UInt64, rule: String?) -> Link {
            let (a, b) = IdentityGraph.ends(of: key)
            let info = edges[key]
            return Link(
                from: label(a), to: label(b),
                evidence: .init(
                    position: info?.firstEvidence ?? 0, source: nil, eventID: nil, occurredAt: nil,
                    events: info?.count ?? 0),
                rule: rule)
        }
        return ProfileExplanation(
            profileID: profile, values: members.map(label), links: accepted.map { link($0, rule: nil) },
            refused: refusedRules.keys.sorted().map { link($0, rule: refusedRules[$0]) },
            cut: cut.map { key in
                let (a, b) = IdentityGraph.ends(of: key)
                return link(key, rule: standings[inProfile.contains(a) ? b : a]?.code)
            })
    }
}

extension ProfileQueries {
    /// Why a profile is one customer: the links come from the store; the events that made
    /// them, from the log.
    public func explain(_ profile: String, in log: some EventLogReading) throws -> ProfileExplanation {
        var explanation = try reading { try $0.explanation(of: profile) }
        try explanation.readEvidence(from: log)
        return explanation
    }
}
