import Foundation
import KithCore
import NIOCore
import PostgresNIO

extension PostgresProjectionStore: ProfileQueries {
    /// One repeatable-read transaction: a lookup sees one commit, and one generation, however
    /// many reads it makes. It reads the generation the head names when it begins (a handle
    /// that loads a generation reads that one), so a rebuild elsewhere is seen by the next read.
    /// A reader that named a generation a rebuild has just dropped reads again, once.
    public func reading<T>(_ body: (any ProfileSnapshot) throws -> T) throws -> T {
        do {
            return try readOnce(body)
        } catch let error as PostgresStoreError where ["42P01", "3F000"].contains(error.sqlState) {
            return try readOnce(body)
        }
    }

    private func readOnce<T>(_ body: (any ProfileSnapshot) throws -> T) throws -> T {
        try session.transaction(doing: "reading the projections", snapshot: true) { t in
            var schema = g
            if !loadsInBulk {
                // One statement: a lookup is a handful of round trips, and this is one of them.
                let head: (Int, Int64)?
                do {
                    head = try t.query(
                        PostgresQuery(unsafeSQL: "SELECT format, generation FROM \(location.schema).projection_head")
                    ).first?.decode((Int, Int64).self)
                } catch let error as PostgresStoreError where error.sqlState == "42P01" {
                    head = nil
                }
                guard let (format, current) = head else {
                    throw ProjectionError(.noStore, "there is no projection store at \(location) yet")
                }
                try Self.check(format: format, location: location)
                schema = PostgresProjectionSchema.generationSchema(location.schema, current)
            }
            return try body(Snapshot(t: t, g: schema))
        }
    }

    /// The read side's facts, each one statement (whole-table passes through a cursor) in
    /// the reading's transaction.
    struct Snapshot: ProfileSnapshot {
        let t: PostgresSession.Transaction
        let g: String

        private var reads: PostgresProjectionReads { PostgresProjectionReads(run: { try t.query($0) }, g: g) }

        private func one(_ sql: String, _ bind: ((inout PostgresBindings) -> Void)? = nil) throws -> PostgresRow? {
            var binds = PostgresBindings()
            bind?(&binds)
            return try t.query(PostgresQuery(unsafeSQL: sql, binds: binds)).first
        }

        private func all(_ sql: String, _ bind: (inout PostgresBindings) -> Void) throws -> [PostgresRow] {
            var binds = PostgresBindings()
            bind(&binds)
            return try t.query(PostgresQuery(unsafeSQL: sql, binds: binds))
        }

        private func scan(_ sql: String, _ body: (PostgresRow) throws -> Bool) throws {
            try t.forEachRow(PostgresQuery(unsafeSQL: sql), body)
        }

        func checkpoint() throws -> UInt64 {
            UInt64(try one("SELECT position FROM \(g).checkpoint WHERE name = 'main'")?.decode(Int64.self) ?? 0)
        }

        func nodes(identifiedBy identifiers: [Identifier]) throws -> [Node: IdentityGraph.NodeInfo] {
            // One identifier (a lookup) by the identifier index, without arrays.
            guard identifiers.count == 1, let identifier = identifiers.first else {
                return try reads.nodes(identifiedBy: identifiers)
            }
            guard
                let row = try one(
                    "SELECT \(PostgresProjectionReads.nodeColumns) FROM \(g).node WHERE kind = $1 AND value = $2",
                    {
                        $0.append(identifier.kind.rawValue)
                        $0.append(identifier.value)
                    })
            else { return [:] }
            let (node, info) = try PostgresProjectionReads.nodeInfo(row)
            return [node: info]
        }

        func nodes(_ ids: [Node]) throws -> [Node: IdentityGraph.NodeInfo] { try reads.nodes(ids) }

        func neighbourhood(of nodes: [Node]) throws -> Neighbourhood { try reads.neighbourhood(of: nodes) }

        func profiles(of nodes: [Node]) throws -> [Node: String] { try reads.profiles(of: nodes) }

        func standings(of nodes: [Node]) throws -> [Node: IdentityResolver.Standing] {
            try reads.standings(of: nodes)
        }

        func anchor(ofProfileID id: String) throws -> Node? {
            guard let row = try one("SELECT anchor FROM \(g).profile_id WHERE id = $1", { $0.append(id) }) else {
                return nil
            }
            return Node(try row.decode(Int64.self))
        }

        func changes(of profile: String) throws -> [ProjectionBatch.Change] {
            try all(
                "SELECT position, kind, profile, others FROM \(g).profile_change WHERE profile = $1 ORDER BY seq"
            ) { $0.append(profile) }.map(PostgresProjectionReads.change)
        }

        func members(of profile: String) throws -> [Node] {
            try all("SELECT node FROM \(g).membership WHERE profile = $1 ORDER BY node") { $0.append(profile) }.map {
                Node(try $0.decode(Int64.self))
            }
        }

        func values(of profile: String) throws -> [StoredValue] {
            try all(
                """
                SELECT \(PostgresProjectionReads.storedValueColumns)
                FROM \(g).membership m JOIN \(g).node n ON n.id = m.node LEFT JOIN \(g).node_stats s ON s.node = m.node
                WHERE m.profile = $1 ORDER BY n.kind, n.value
                """
            ) { $0.append(profile) }.map { try PostgresProjectionReads.storedValue($0, profile: profile) }
        }

        func timelines(of nodes: [Node]) throws -> [Node: [UInt8]] {
            guard !nodes.isEmpty else { return [:] }
            var out: [Node: [UInt8]] = [:]
            for row in try all(
                "SELECT node, timeline FROM \(g).node_stats WHERE node = ANY($1::int8[])",
                {
                    $0.append(nodes.map { Int64($0) })
                })
            {
                let (node, bytes) = try row.decode((Int64, ByteBuffer).self)
                out[Node(node)] = Array(bytes.readableBytesView)
            }
            return out
        }

        func rfmModel() throws -> RFMModel? {
            guard let text = try one("SELECT model FROM \(g).rfm_model WHERE name = 'main'")?.decode(String.self)
            else { return nil }
            return try RFMModelCache.shared.model(for: text)
        }

        func rfmView() throws -> RFMView? {
            guard
                let row = try one(
                    "SELECT as_of, pinned, position, rules_hash, refreshed_at, model, summary FROM \(g).rfm_model WHERE name = 'main'"
                )
            else { return nil }
            let (asOf, pinned, position, rulesHash, refreshedAt, model, summary) = try row.decode(
                (Int64, Bool, Int64, String, String, String, String).self)
            let decoder = JSONDecoder()
            do {
                return RFMView(
                    asOf: asOf, pinned: pinned, position: UInt64(position), rulesHash: rulesHash,
                    refreshedAt: refreshedAt, model: try decoder.decode(RFMModel.self, from: Data(model.utf8)),
                    summary: try decoder.decode(RFMSummary.self, from: Data(summary.utf8)))
            } catch {
                throw ProjectionError(.noRFMView, "the stored RFM model cannot be read (\(error))")
            }
        }

        func forEachProfileRFM(after: String?, _ body: (String, RFMRaw) throws -> Bool) throws {
            var binds = PostgresBindings()
            binds.append(after ?? "")
            try t.forEachRow(
                PostgresQuery(
                    unsafeSQL:
                        "SELECT profile, orders, last_order, monetary FROM \(g).profile_rfm WHERE profile > $1 ORDER BY profile",
                    binds: binds)
            ) { row in
                let (profile, orders, last, monetary) = try row.decode((String, Int64, Int64?, Int64).self)
                return try body(profile, RFMRaw(orders: Int(orders), lastOrder: last, monetary: monetary))
            }
        }

        func forEachRFMRaw(_ body: (RFMRaw) throws -> Void) throws {
            try scan("SELECT orders, last_order, monetary FROM \(g).profile_rfm") { row in
                let (orders, last, monetary) = try row.decode((Int64, Int64?, Int64).self)
                try body(RFMRaw(orders: Int(orders), lastOrder: last, monetary: monetary))
                return true
            }
        }

        func rulesApplied() throws -> [AppliedRules] {
            try t.query(
                PostgresQuery(unsafeSQL: "SELECT hash, applied_at, rules FROM \(g).rules_applied ORDER BY seq DESC")
            )
            .map {
                let (hash, at, rules) = try $0.decode((String, String, String).self)
                return AppliedRules(hash: hash, appliedAt: at, rules: rules)
            }
        }

        func valueCount() throws -> Int {
            Int(try one("SELECT coalesce(max(id) + 1, 0) FROM \(g).node")?.decode(Int64.self) ?? 0)
        }

        func forEachNode(_ body: (Node, IdentityGraph.NodeInfo) throws -> Void) throws {
            try scan("SELECT \(PostgresProjectionReads.nodeColumns) FROM \(g).node ORDER BY id") { row in
                let (node, info) = try PostgresProjectionReads.nodeInfo(row)
                try body(node, info)
                return true
            }
        }

        func forEachMember(_ body: (Node, String) throws -> Void) throws {
            try scan("SELECT node, profile FROM \(g).membership ORDER BY profile, node") { row in
                let (node, profile) = try row.decode((Int64, String).self)
                try body(Node(node), profile)
                return true
            }
        }

        func forEachEdge(_ body: (Node, Node, IdentityGraph.EdgeInfo) throws -> Void) throws {
            try scan("SELECT a, b, events, first_position FROM \(g).edge") { row in
                let (a, b, events, first) = try row.decode((Int64, Int64, Int64, Int64).self)
                try body(Node(a), Node(b), IdentityGraph.EdgeInfo(count: Int(events), firstEvidence: UInt64(first)))
                return true
            }
        }

        func forEachLink(_ body: (Node, Node) throws -> Void) throws {
            try scan("SELECT a, b FROM \(g).edge WHERE linked") { row in
                let (a, b) = try row.decode((Int64, Int64).self)
                try body(Node(a), Node(b))
                return true
            }
        }

        func forEachRefusedLink(_ body: (Node, Node, String) throws -> Void) throws {
            try scan("SELECT a, b, rule FROM \(g).refused_link") { row in
                let (a, b, rule) = try row.decode((Int64, Int64, String).self)
                try body(Node(a), Node(b), rule)
                return true
            }
        }

        func forEachStanding(_ body: (Node, IdentityResolver.Standing) throws -> Void) throws {
            try scan("SELECT node, \(PostgresProjectionReads.standingColumns) FROM \(g).excluded") { row in
                let (node, standing) = try PostgresProjectionReads.standing(row)
                try body(node, standing)
                return true
            }
        }

        func forEachChange(_ body: (ProjectionBatch.Change) throws -> Void) throws {
            try scan("SELECT position, kind, profile, others FROM \(g).profile_change ORDER BY seq") { row in
                try body(try PostgresProjectionReads.change(row))
                return true
            }
        }

        func forEachProfile(_ body: (String, [StoredValue]) throws -> Void) throws {
            var current: String?
            var values: [StoredValue] = []
            try scan(
                """
                SELECT \(PostgresProjectionReads.storedValueColumns), m.profile
                FROM \(g).membership m JOIN \(g).node n ON n.id = m.node LEFT JOIN \(g).node_stats s ON s.node = m.node
                ORDER BY m.profile, n.kind, n.value
                """
            ) { row in
                let c = try row.decode(
                    (Int64, String, String, Int64, Int64, Int64, String?, String?, String, ByteBuffer?, String).self)
                let profile = c.10
                if profile != current {
                    if let current { try body(current, values) }
                    current = profile
                    values.removeAll(keepingCapacity: true)
                }
                values.append(
                    try PostgresProjectionReads.storedValue(
                        (c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7, c.8, c.9), profile: profile))
                return true
            }
            if let current { try body(current, values) }
        }
    }
}
