import Foundation
import GRDB
import KithCore

extension SQLiteProjectionStore: ProfileQueries {
    /// One read transaction of the pool: a lookup sees one commit however many reads it makes.
    public func reading<T>(_ body: (any ProfileSnapshot) throws -> T) throws -> T {
        try pool.read { db in try body(Snapshot(db: db)) }
    }

    /// The read side's facts, each one SQL statement (or one per 500 values) in a read transaction.
    struct Snapshot: ProfileSnapshot {
        let db: Database

        func checkpoint() throws -> UInt64 {
            UInt64(try Int64.fetchOne(db, sql: "SELECT position FROM checkpoint WHERE name = 'main'") ?? 0)
        }

        func nodes(identifiedBy identifiers: [Identifier]) throws -> [Node: IdentityGraph.NodeInfo] {
            // One identifier (a lookup) by one prepared statement.
            guard identifiers.count == 1, let identifier = identifiers.first else {
                return try SQLiteProjectionStore.nodes(identifiedBy: identifiers, db)
            }
            let statement = try db.cachedStatement(
                sql: "SELECT id, kind, value, first_position, events, names FROM node WHERE kind = ? AND value = ?")
            guard
                let row = try Row.fetchOne(statement, arguments: [identifier.kind.rawValue, identifier.value])
            else { return [:] }
            return [Node(row[0] as Int64): SQLiteProjectionStore.nodeInfo(row)]
        }

        func nodes(_ ids: [Node]) throws -> [Node: IdentityGraph.NodeInfo] {
            try SQLiteProjectionStore.nodes(ids, db)
        }

        func neighbourhood(of nodes: [Node]) throws -> Neighbourhood {
            try SQLiteProjectionStore.neighbourhood(of: nodes, db)
        }

        func profiles(of nodes: [Node]) throws -> [Node: String] {
            if nodes.count == 1, let node = nodes.first {
                let statement = try db.cachedStatement(sql: "SELECT profile FROM membership WHERE node = ?")
                return try String.fetchOne(statement, arguments: [Int64(node)]).map { [node: $0] } ?? [:]
            }
            var out: [Node: String] = [:]
            try SQLiteProjectionStore.forEachRow(
                "SELECT node, profile FROM membership", whereColumn: "node", in: nodes, db
            ) { out[Node($0[0] as Int64)] = $0[1] }
            return out
        }

        func standings(of nodes: [Node]) throws -> [Node: IdentityResolver.Standing] {
            var out: [Node: IdentityResolver.Standing] = [:]
            try SQLiteProjectionStore.forEachRow(
                "SELECT node, \(StoredStanding.selection) FROM excluded", whereColumn: "node", in: nodes, db
            ) { out[Node($0[0] as Int64)] = try StoredStanding.standing(in: $0, of: $0[0]) }
            return out
        }

        func anchor(ofProfileID id: String) throws -> Node? {
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT anchor FROM profile_id WHERE id = ?"), arguments: [id])
                .map { Node($0) }
        }

        func changes(of profile: String) throws -> [ProjectionBatch.Change] {
            try Row.fetchAll(
                db.cachedStatement(
                    sql: "SELECT position, kind, profile, others FROM profile_change WHERE profile = ? ORDER BY seq"),
                arguments: [profile]
            ).map(SQLiteProjectionStore.change)
        }

        func members(of profile: String) throws -> [Node] {
            try Int64.fetchAll(
                db.cachedStatement(sql: "SELECT node FROM membership WHERE profile = ? ORDER BY node"),
                arguments: [profile]
            ).map { Node($0) }
        }

        func values(of profile: String) throws -> [StoredValue] {
            let statement = try db.cachedStatement(
                sql: """
                    SELECT n.id, n.kind, n.value, n.first_position, n.events, n.names, n.first_seen, n.last_seen,
                           n.sources, s.stats
                    FROM membership m JOIN node n ON n.id = m.node LEFT JOIN node_stats s ON s.node = m.node
                    WHERE m.profile = ? ORDER BY n.kind, n.value
                    """)
            return try Row.fetchAll(statement, arguments: [profile]).map { row in
                try SQLiteProjectionStore.storedValue(row, profile: profile)
            }
        }

        func timelines(of nodes: [Node]) throws -> [Node: [UInt8]] {
            var out: [Node: [UInt8]] = [:]
            try SQLiteProjectionStore.forEachRow(
                "SELECT node, timeline FROM node_stats", whereColumn: "node", in: nodes, db
            ) { out[Node($0[0] as Int64)] = [UInt8]($0[1] as Data) }
            return out
        }

        func rfmModel() throws -> RFMModel? { try SQLiteProjectionStore.rfmModel(db) }

        func rfmView() throws -> RFMView? { try SQLiteProjectionStore.rfmView(db) }

        func forEachProfileRFM(after: String?, _ body: (String, RFMRaw) throws -> Bool) throws {
            try SQLiteProjectionStore.forEachProfileRFM(after: after, db, body)
        }

        func forEachRFMRaw(_ body: (RFMRaw) throws -> Void) throws {
            try RawRows(db, "SELECT orders, last_order, monetary FROM profile_rfm").forEach { row in
                try body(RFMRaw(orders: Int(row[0] ?? 0), lastOrder: row[1], monetary: row[2] ?? 0))
            }
        }

        func rulesApplied() throws -> [AppliedRules] { try SQLiteProjectionStore.rulesApplied(db) }

        func valueCount() throws -> Int { (try Int.fetchOne(db, sql: "SELECT MAX(id) + 1 FROM node")) ?? 0 }

        /// Through SQLite's C API, each kind's text made a `String` once: a replay's report
        /// reads every value of two stores.
        func forEachNode(_ body: (Node, IdentityGraph.NodeInfo) throws -> Void) throws {
            var kinds: [(bytes: [UInt8], kind: IdentifierKind)] = []
            try RawRows(db, "SELECT id, kind, value, first_position, events, names FROM node ORDER BY id").forEach {
                row in
                let text = row.bytes(1)
                let kind: IdentifierKind
                if let known = kinds.first(where: { $0.bytes.elementsEqual(text) }) {
                    kind = known.kind
                } else {
                    kind = IdentifierKind(rawValue: String(decoding: text, as: UTF8.self))
                    kinds.append((Array(text), kind))
                }
                let info = IdentityGraph.NodeInfo(
                    identifier: Identifier(kind, String(decoding: row.bytes(2), as: UTF8.self)),
                    firstSeen: UInt64(row.integer(3)), events: Int(row.integer(4)),
                    names: NameEvidence(packed: row.integer(5)))
                try body(Node(row.integer(0)), info)
            }
        }

        /// Through SQLite's C API along the `membership_profile` index, so each profile's
        /// text becomes a `String` once, not once per value (a replay's report read 2.4 million).
        func forEachMember(_ body: (Node, String) throws -> Void) throws {
            var previous: [UInt8] = []
            var profile = ""
            try RawRows(db, "SELECT node, profile FROM membership ORDER BY profile, node").forEach { row in
                let text = row.bytes(1)
                if !text.elementsEqual(previous) {
                    previous = Array(text)
                    profile = String(decoding: text, as: UTF8.self)
                }
                try body(Node(row.integer(0)), profile)
            }
        }

        func forEachEdge(_ body: (Node, Node, IdentityGraph.EdgeInfo) throws -> Void) throws {
            let rows = try Row.fetchCursor(db, sql: "SELECT a, b, events, first_position FROM edge")
            while let row = try rows.next() {
                try body(
                    Node(row[0] as Int64), Node(row[1] as Int64),
                    IdentityGraph.EdgeInfo(count: row[2], firstEvidence: UInt64(row[3] as Int64)))
            }
        }

        func forEachLink(_ body: (Node, Node) throws -> Void) throws {
            let rows = try Row.fetchCursor(db, sql: "SELECT a, b FROM edge WHERE linked = 1")
            while let row = try rows.next() { try body(Node(row[0] as Int64), Node(row[1] as Int64)) }
        }

        func forEachRefusedLink(_ body: (Node, Node, String) throws -> Void) throws {
            let rows = try Row.fetchCursor(db, sql: "SELECT a, b, rule FROM refused_link")
            while let row = try rows.next() { try body(Node(row[0] as Int64), Node(row[1] as Int64), row[2]) }
        }

        func forEachStanding(_ body: (Node, IdentityResolver.Standing) throws -> Void) throws {
            let rows = try Row.fetchCursor(db, sql: "SELECT node, \(StoredStanding.selection) FROM excluded")
            while let row = try rows.next() {
                try body(Node(row[0] as Int64), try StoredStanding.standing(in: row, of: row[0]))
            }
        }

        func forEachChange(_ body: (ProjectionBatch.Change) throws -> Void) throws {
            let rows = try Row.fetchCursor(
                db, sql: "SELECT position, kind, profile, others FROM profile_change ORDER BY seq")
            while let row = try rows.next() { try body(try SQLiteProjectionStore.change(row)) }
        }

        func forEachProfile(_ body: (String, [StoredValue]) throws -> Void) throws {
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT m.profile, n.id, n.kind, n.value, n.first_position, n.events, n.names,
                           n.first_seen, n.last_seen, n.sources, s.stats
                    FROM membership m JOIN node n ON n.id = m.node LEFT JOIN node_stats s ON s.node = m.node
                    ORDER BY m.profile, n.kind, n.value
                    """)
            var current: String?
            var values: [StoredValue] = []
            while let row = try rows.next() {
                let profile: String = row[0]
                if profile != current {
                    if let current { try body(current, values) }
                    current = profile
                    values.removeAll(keepingCapacity: true)
                }
                values.append(try SQLiteProjectionStore.storedValue(row, from: 1, profile: profile))
            }
            if let current { try body(current, values) }
        }
    }
}

extension SQLiteProjectionStore {
    /// A value with its facts, from `from` on in a row of id, kind, value, first_position,
    /// events, names, first_seen, last_seen, sources and stats.
    static func storedValue(_ row: Row, from i: Int = 0, profile: String) throws -> StoredValue {
        var stats: NodeStats?
        if let data = row[i + 9] as Data? {
            guard let decoded = NodeStats(binary: [UInt8](data)) else {
                throw ProjectionError(.needsRebuild, "profile \(profile)'s statistics are damaged")
            }
            stats = decoded
        }
        return StoredValue(
            node: Node(row[i] as Int64),
            info: IdentityGraph.NodeInfo(
                identifier: Identifier(IdentifierKind(rawValue: row[i + 1]), row[i + 2]),
                firstSeen: UInt64(row[i + 3] as Int64), events: row[i + 4], names: NameEvidence(packed: row[i + 5])),
            seen: seen(first: row[i + 6], last: row[i + 7], sources: row[i + 8]), stats: stats)
    }

    /// A `profile_change` row (position, kind, profile, others).
    static func change(_ row: Row) throws -> ProjectionBatch.Change {
        let kind: Int = row[1]
        let profile: String = row[2]
        guard let known = ProjectionBatch.Change.Kind(rawValue: kind) else {
            throw ProjectionError(
                .needsRebuild, "profile \(profile) has a change of kind \(kind), which no version of Kith wrote")
        }
        let others: String = row[3]
        return ProjectionBatch.Change(
            position: UInt64(row[0] as Int64), kind: known, profile: profile,
            others: others.split(separator: ",").map(String.init))
    }

    /// A value's `first_seen`, `last_seen` and `sources` columns.
    static func seen(first: String?, last: String?, sources: String) -> NodeSeen {
        NodeSeen(
            firstSeen: first.flatMap { try? Timestamp.parse($0).get() },
            lastSeen: last.flatMap { try? Timestamp.parse($0).get() },
            sources: Set(sources.split(separator: ",").map(String.init)))
    }
}
