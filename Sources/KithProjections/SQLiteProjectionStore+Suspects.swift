import GRDB
import KithCore

extension SQLiteProjectionStore {
    /// A value that may be junk (a generic address, a clerk's placeholder), with what a person
    /// needs to decide: what stopped it (if anything), how many values of other kinds it was
    /// seen with, how many of those carry names that conflict, and how many profiles it touches.
    public struct Suspect: Codable, Sendable, Equatable {
        public var kind: String
        public var value: String
        /// `links` when nothing stopped it, else the stored standing (`never_link: …`,
        /// `contested: …`, `shared(partners: N)`, `blocklisted`).
        public var standing: String
        public var events: Int
        /// Values of other linking kinds seen with it.
        public var partners: Int
        /// Partners whose names conflict with another partner's of the same kind.
        public var conflictingPartners: Int
        /// Its own events carry different names.
        public var ownNamesDiffer: Bool
        /// Profiles among the value and its partners.
        public var profiles: Int

        enum CodingKeys: String, CodingKey {
            case kind, value, standing, events, partners, profiles
            case conflictingPartners = "conflicting_partners"
            case ownNamesDiffer = "own_names_differ"
        }

        /// Stopped already (by a pattern, the blocklist, evidence or volume).
        public var isStopped: Bool { standing != "links" }
    }

    /// The values most likely to be junk, most likely first: those seen with values of two or
    /// more profiles, or with several values of one kind, or stopped by a guard; ordered by the
    /// profiles they touch, then conflicting partners, then partners.
    ///
    /// For example: `try store.suspects(limit: 20)`.
    public func suspects(limit: Int, rules: Rules) throws -> [Suspect] {
        try pool.read { db in
            let linking = Set(
                try String.fetchAll(db, sql: "SELECT DISTINCT kind FROM node").filter {
                    rules.rule(for: IdentifierKind(rawValue: $0)).links
                })
            // Candidates: stopped values, and values seen with two or more values of one other kind.
            var candidates = Set(
                try Int64.fetchAll(db, sql: "SELECT node FROM excluded WHERE standing <> 'kindDoesNotLink'"))
            let pairs = try Row.fetchCursor(
                db,
                sql: """
                    SELECT x, m.kind FROM (SELECT a AS x, b AS y FROM edge UNION ALL SELECT b, a FROM edge) e
                    JOIN node m ON m.id = e.y JOIN node n ON n.id = e.x
                    WHERE m.kind <> n.kind GROUP BY x, m.kind HAVING COUNT(*) >= 2
                    """)
            while let row = try pairs.next() {
                if linking.contains(row[1]) { candidates.insert(row[0]) }
            }
            var out: [Suspect] = []
            for node in candidates.sorted() {
                guard let suspect = try suspect(node, linking: linking, db) else { continue }
                if suspect.isStopped || suspect.profiles > 1 || suspect.conflictingPartners > 0 || suspect.partners > 1 {
                    out.append(suspect)
                }
            }
            out.sort {
                ($1.profiles, $1.conflictingPartners, $1.partners, $0.kind, $0.value)
                    < ($0.profiles, $0.conflictingPartners, $0.partners, $1.kind, $1.value)
            }
            return Array(out.prefix(max(0, limit)))
        }
    }

    private func suspect(_ node: Int64, linking: Set<String>, _ db: Database) throws -> Suspect? {
        guard
            let row = try Row.fetchOne(
                db, sql: "SELECT kind, value, events, names FROM node WHERE id = ?", arguments: [node])
        else { return nil }
        let kind: String = row[0]
        let standing = try String.fetchOne(db, sql: "SELECT standing FROM excluded WHERE node = ?", arguments: [node])
        var profiles = Set<String>()
        if let own = try String.fetchOne(db, sql: "SELECT profile FROM membership WHERE node = ?", arguments: [node]) {
            profiles.insert(own)
        }
        var byKind: [String: [NameEvidence]] = [:]
        var partners = 0
        let neighbours = try Row.fetchAll(
            db,
            sql: """
                SELECT n.kind, n.names, m.profile FROM (SELECT b AS y FROM edge WHERE a = ? UNION ALL SELECT a FROM edge WHERE b = ?) e
                JOIN node n ON n.id = e.y LEFT JOIN membership m ON m.node = e.y
                """, arguments: [node, node])
        for n in neighbours {
            let partnerKind: String = n[0]
            if let profile: String = n[2] { profiles.insert(profile) }
            guard partnerKind != kind, linking.contains(partnerKind) else { continue }
            partners += 1
            byKind[partnerKind, default: []].append(NameEvidence(packed: n[1]))
        }
        var conflicting = 0
        for names in byKind.values {
            for (i, a) in names.enumerated() where names.indices.contains(where: { $0 != i && a.conflicts(with: names[$0]) }) {
                conflicting += 1
            }
        }
        return Suspect(
            kind: kind, value: row[1], standing: standing ?? "links", events: row[2], partners: partners,
            conflictingPartners: conflicting, ownNamesDiffer: NameEvidence(packed: row[3]).isConflicted,
            profiles: profiles.count)
    }
}
