import Foundation
import GRDB
import KithCore

extension SQLiteProjectionStore {
    /// Where a reference (`PROFILE_ID` or `KIND:VALUE`) leads.
    public struct Resolved: Sendable {
        public var requested: String
        /// The profile it resolves to now, if any.
        public var current: String?
        public var status: String
        public var note: String?
    }

    /// Resolves a profile id (current or old) or an identifier in any spelling.
    public func resolve(_ reference: String) throws -> Resolved? {
        try pool.read { db in try resolve(reference, db) }
    }

    func resolve(_ reference: String, _ db: Database) throws -> Resolved? {
        if reference.utf8.contains(UInt8(ascii: ":")) {
            guard let (kind, raw) = RequestDecoding.identifierReference(reference) else { return nil }
            guard case .success(let value) = IdentifierNormalizer.normalize(kind, raw),
                let node = try Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT id FROM node WHERE kind = ? AND value = ?"),
                    arguments: [kind.rawValue, value])
            else { return nil }
            if let profile = try String.fetchOne(
                db.cachedStatement(sql: "SELECT profile FROM membership WHERE node = ?"), arguments: [node])
            {
                return Resolved(requested: reference, current: profile, status: "current")
            }
            let standing = try String.fetchOne(
                db, sql: "SELECT standing FROM excluded WHERE node = ?", arguments: [node])
            return Resolved(
                requested: reference, current: nil, status: "unlinked",
                note:
                    "\(kind.rawValue) \(Masking.mask(value, kind: kind)) belongs to no profile (\(standing ?? "not linking"))"
            )
        }
        guard
            let anchor = try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT anchor FROM profile_id WHERE id = ?"), arguments: [reference])
        else { return nil }
        let current = try String.fetchOne(
            db.cachedStatement(sql: "SELECT profile FROM membership WHERE node = ?"), arguments: [anchor])
        let split = try Row.fetchOne(
            db,
            sql:
                "SELECT position, others FROM profile_change WHERE kind = 'split' AND profile = ? ORDER BY seq DESC LIMIT 1",
            arguments: [reference])
        let splitNote = split.map { row -> String in
            let others: String = row[1]
            return
                "split at log position \(row[0] as Int64) into \(others.split(separator: ",").joined(separator: ", "))"
        }
        if current == reference {
            return Resolved(
                requested: reference, current: reference, status: split == nil ? "current" : "split", note: splitNote)
        }
        if let current,
            try Int64.fetchOne(
                db.cachedStatement(sql: "SELECT anchor FROM profile_id WHERE id = ?"), arguments: [current])
                == anchor
        {
            // The same anchor under another scheme: this profile's id from before ids were keyed.
            return Resolved(
                requested: reference, current: current, status: "current",
                note: "\(reference) is this profile's earlier id (made before ids were keyed); use \(current)")
        }
        if let current {
            return Resolved(
                requested: reference, current: current, status: "merged",
                note: "\(reference) was merged into \(current)" + (splitNote.map { "; earlier \($0)" } ?? ""))
        }
        return Resolved(
            requested: reference, current: nil, status: "split",
            note: (splitNote ?? "its values no longer form a profile") + "; its first value now links nothing")
    }

    /// The identifier-node ids of a current profile.
    func nodes(of profile: String, _ db: Database) throws -> [Int64] {
        try Int64.fetchAll(
            db.cachedStatement(sql: "SELECT node FROM membership WHERE profile = ? ORDER BY node"), arguments: [profile]
        )
    }

    /// The unified view of what `reference` resolves to.
    public func profile(_ reference: String, traitRules: TraitRules) throws -> ProfileView? {
        try pool.read { db in
            guard let resolved = try resolve(reference, db), let current = resolved.current else { return nil }
            var view = try view(of: current, traitRules: traitRules, db)
            view.status = resolved.status
            view.requested = reference == current ? nil : reference
            view.note = resolved.note
            return view
        }
    }

    func view(of profile: String, traitRules: TraitRules, _ db: Database) throws -> ProfileView {
        let nodes = try nodes(of: profile, db)
        var rows: [Row] = []
        try SQLiteProjectionStore.forEachRow(
            "SELECT kind, value, first_seen, last_seen, sources, events FROM node", whereColumn: "id", in: nodes, db
        ) { rows.append($0) }
        // ORDER BY kind, value in SQLite's byte order.
        rows.sort { a, b in
            let (ka, kb): (String, String) = (a[0], b[0])
            if ka != kb { return ka.utf8.lexicographicallyPrecedes(kb.utf8) }
            return (a[1] as String).utf8.lexicographicallyPrecedes((b[1] as String).utf8)
        }
        var identifiers: [String: [ProfileView.IdentifierValue]] = [:]
        for row in rows {
            let sources: String = row[4]
            identifiers[row[0], default: []].append(
                ProfileView.IdentifierValue(
                    value: row[1], firstSeen: row[2], lastSeen: row[3],
                    sources: sources.split(separator: ",").map(String.init), events: row[5]))
        }
        var stats = NodeStats()
        for s in try SQLiteProjectionStore.stats(of: nodes.map { Node($0) }, db).values { stats.merge(s) }
        return ProfileView.build(
            id: profile, identifiers: identifiers, stats: stats, traitRules: traitRules, model: try Self.rfmModel(db))
    }

    /// Every current profile's view, in profile id order (streamed: one pass over the store).
    public func forEachProfile(traitRules: TraitRules, _ body: (ProfileView) throws -> Void) throws {
        try pool.read { db in
            let model = try Self.rfmModel(db)
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT m.profile, n.kind, n.value, n.first_seen, n.last_seen, n.sources, n.events, s.stats
                    FROM membership m JOIN node n ON n.id = m.node LEFT JOIN node_stats s ON s.node = m.node
                    ORDER BY m.profile, n.kind, n.value
                    """)
            var current: String?
            var identifiers: [String: [ProfileView.IdentifierValue]] = [:]
            var stats = NodeStats()
            func flush() throws {
                if let current {
                    try body(
                        ProfileView.build(
                            id: current, identifiers: identifiers, stats: stats, traitRules: traitRules, model: model))
                }
                identifiers = [:]
                stats = NodeStats()
            }
            while let row = try rows.next() {
                let profile: String = row[0]
                if profile != current {
                    try flush()
                    current = profile
                }
                let sources: String = row[5]
                identifiers[row[1], default: []].append(
                    ProfileView.IdentifierValue(
                        value: row[2], firstSeen: row[3], lastSeen: row[4],
                        sources: sources.split(separator: ",").map(String.init), events: row[6]))
                if let data = row[7] as Data? {
                    guard let s = NodeStats(binary: [UInt8](data)) else {
                        throw ProjectionError(
                            "profile \(profile)'s statistics are damaged; rebuild with kith project --rebuild")
                    }
                    stats.merge(s)
                }
            }
            try flush()
        }
    }
}
