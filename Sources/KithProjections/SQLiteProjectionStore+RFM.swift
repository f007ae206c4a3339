import Foundation
import GRDB
import KithCore

extension SQLiteProjectionStore {
    /// One write transaction: the view replaces the last, and the rules join the history unless
    /// they are the last ones recorded.
    public func saveRFM(_ view: RFMView, applying rules: AppliedRules) throws {
        try pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO rfm_model (name, as_of, pinned, position, rules_hash, refreshed_at, model, summary)
                    VALUES ('main', ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    view.asOf, view.pinned, Int64(view.position), view.rulesHash, view.refreshedAt,
                    try CanonicalJSON.text(view.model), try CanonicalJSON.text(view.summary),
                ])
            let last = try String.fetchOne(db, sql: "SELECT hash FROM rules_applied ORDER BY seq DESC LIMIT 1")
            if last != rules.hash {
                try db.execute(
                    sql: "INSERT INTO rules_applied (hash, applied_at, rules) VALUES (?, ?, ?)",
                    arguments: [rules.hash, rules.appliedAt, rules.rules])
            }
        }
    }

    /// Just the model, decoded once per stored version (profile reads need it on every request).
    static func rfmModel(_ db: Database) throws -> RFMModel? {
        guard let text = try String.fetchOne(db.cachedStatement(sql: "SELECT model FROM rfm_model WHERE name = 'main'"))
        else { return nil }
        return try RFMModelCache.shared.model(for: text)
    }

    static func rfmView(_ db: Database) throws -> RFMView? {
        guard
            let row = try Row.fetchOne(
                db,
                sql:
                    "SELECT as_of, pinned, position, rules_hash, refreshed_at, model, summary FROM rfm_model WHERE name = 'main'"
            )
        else { return nil }
        let decoder = JSONDecoder()
        do {
            return RFMView(
                asOf: row[0], pinned: row[1], position: UInt64(row[2] as Int64), rulesHash: row[3], refreshedAt: row[4],
                model: try decoder.decode(RFMModel.self, from: Data((row[5] as String).utf8)),
                summary: try decoder.decode(RFMSummary.self, from: Data((row[6] as String).utf8)))
        } catch {
            throw ProjectionError(.noRFMView, "the stored RFM model cannot be read (\(error))")
        }
    }

    static func forEachProfileRFM(after: String?, _ db: Database, _ body: (String, RFMRaw) throws -> Bool) throws {
        let rows = try Row.fetchCursor(
            db,
            sql: "SELECT profile, orders, last_order, monetary FROM profile_rfm WHERE profile > ? ORDER BY profile",
            arguments: [after ?? ""])
        while let row = try rows.next() {
            if try !body(row[0], RFMRaw(orders: row[1], lastOrder: row[2], monetary: row[3])) { return }
        }
    }

    static func rulesApplied(_ db: Database) throws -> [AppliedRules] {
        try Row.fetchAll(db, sql: "SELECT hash, applied_at, rules FROM rules_applied ORDER BY seq DESC").map {
            AppliedRules(hash: $0[0], appliedAt: $0[1], rules: $0[2])
        }
    }

}
