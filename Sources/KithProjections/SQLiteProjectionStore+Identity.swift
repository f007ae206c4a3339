import Foundation
import GRDB
import KithCore

extension SQLiteProjectionStore {
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

    /// The log position the store has projected up to.
    public func checkpointPosition() throws -> UInt64 {
        try pool.read { db in
            UInt64(try Int64.fetchOne(db, sql: "SELECT position FROM checkpoint WHERE name = 'main'") ?? 0)
        }
    }

    public func identityStats() throws -> IdentityStats {
        try pool.read { db in
            var refused: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT rule, COUNT(*) FROM refused_link GROUP BY rule") {
                refused[row[0]] = row[1]
            }
            let largest = try Row.fetchOne(
                db,
                sql: "SELECT profile, COUNT(*) AS n FROM membership GROUP BY profile ORDER BY n DESC, profile LIMIT 1")
            return IdentityStats(
                profiles: try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT profile) FROM membership") ?? 0,
                identifierValues: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM node") ?? 0,
                linkedValues: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM membership") ?? 0,
                merges: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM profile_change WHERE kind = 'merged'") ?? 0,
                splits: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM profile_change WHERE kind = 'split'") ?? 0,
                refusedLinksByRule: refused,
                sharedValues: try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM excluded WHERE kind = \(Kind.shared.rawValue)")
                    ?? 0,
                blocklistedValues: try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM excluded WHERE kind = \(Kind.blocklisted.rawValue)") ?? 0,
                neverLinkValues: try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM excluded WHERE kind = \(Kind.neverLinks.rawValue)")
                    ?? 0,
                contestedValues: try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM excluded WHERE kind = \(Kind.contested.rawValue)")
                    ?? 0,
                largestProfile: largest?[0], largestProfileValues: largest?[1] ?? 0,
                checkpoint: UInt64(
                    try Int64.fetchOne(db, sql: "SELECT position FROM checkpoint WHERE name = 'main'") ?? 0))
        }
    }

    /// Why a profile is one customer: the links that join its values, each with the first event
    /// that made it, and the links that were refused or cut.
    public struct Explanation: Codable, Sendable {
        public struct Evidence: Codable, Sendable {
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

        public struct Link: Codable, Sendable {
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
    }

    /// The links come from the store; the events that made them, from the log.
    public func explain(_ profile: String, in log: some EventLogReading) throws -> Explanation {
        var explanation = try pool.read { db in
            let nodes = try nodes(of: profile, db)
            let list = nodes.map(String.init).joined(separator: ",")
            var name: [Int64: String] = [:]
            func label(_ n: Int64) throws -> String {
                if let l = name[n] { return l }
                let row = try Row.fetchOne(db, sql: "SELECT kind, value FROM node WHERE id = ?", arguments: [n])
                let l = row.map { "\($0[0] as String):\($0[1] as String)" } ?? "node \(n)"
                name[n] = l
                return l
            }
            func evidence(_ a: Int64, _ b: Int64) throws -> Explanation.Evidence {
                let e = try Row.fetchOne(
                    db, sql: "SELECT events, first_position FROM edge WHERE a = ? AND b = ?",
                    arguments: [min(a, b), max(a, b)])
                let position: Int64 = e?[1] ?? 0
                return Explanation.Evidence(
                    position: UInt64(position), source: nil, eventID: nil, occurredAt: nil, events: e?[0] ?? 0)
            }
            var links: [Explanation.Link] = []
            for row in try Row.fetchAll(db, sql: "SELECT a, b FROM link WHERE a IN (\(list)) ORDER BY a, b") {
                let a: Int64 = row[0]
                let b: Int64 = row[1]
                links.append(.init(from: try label(a), to: try label(b), evidence: try evidence(a, b), rule: nil))
            }
            var refused: [Explanation.Link] = []
            for row in try Row.fetchAll(
                db, sql: "SELECT a, b, rule FROM refused_link WHERE a IN (\(list)) OR b IN (\(list)) ORDER BY a, b")
            {
                let a: Int64 = row[0]
                let b: Int64 = row[1]
                refused.append(.init(from: try label(a), to: try label(b), evidence: try evidence(a, b), rule: row[2]))
            }
            var cut: [Explanation.Link] = []
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT e.a, e.b, x.standing FROM edge e JOIN excluded x ON x.node = e.b WHERE e.a IN (\(list))
                    UNION
                    SELECT e.a, e.b, x.standing FROM edge e JOIN excluded x ON x.node = e.a WHERE e.b IN (\(list))
                    ORDER BY 1, 2
                    """)
            {
                let a: Int64 = row[0]
                let b: Int64 = row[1]
                cut.append(.init(from: try label(a), to: try label(b), evidence: try evidence(a, b), rule: row[2]))
            }
            return Explanation(
                profileID: profile, values: try nodes.map(label), links: links, refused: refused, cut: cut)
        }
        try explanation.readEvidence(from: log)
        return explanation
    }
}

extension SQLiteProjectionStore.Explanation {
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

extension SQLiteProjectionStore {
    /// Every current profile as its identifier values (for scoring against a ground truth).
    public func clusters() throws -> [[Identifier]] {
        try pool.read { db in
            var out: [[Identifier]] = []
            var current: String?
            let rows = try Row.fetchCursor(
                db,
                sql:
                    "SELECT m.profile, n.kind, n.value FROM membership m JOIN node n ON n.id = m.node ORDER BY m.profile"
            )
            while let row = try rows.next() {
                let profile: String = row[0]
                if profile != current {
                    out.append([])
                    current = profile
                }
                out[out.count - 1].append(Identifier(IdentifierKind(rawValue: row[1]), row[2]))
            }
            return out
        }
    }
}

extension SQLiteProjectionStore {
    /// The stored codes of standings (`excluded.kind`).
    typealias Kind = IdentityResolver.Standing.Kind
}
