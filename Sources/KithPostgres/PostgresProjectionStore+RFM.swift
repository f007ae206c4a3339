import KithCore
import PostgresNIO

extension PostgresProjectionStore {
    /// One transaction: the view replaces the last, and the rules join the history unless they
    /// are the last ones recorded.
    public func saveRFM(_ view: RFMView, applying rules: AppliedRules) throws {
        try session.transaction(doing: "saving the RFM view") { t in
            try inForce(t)
            var binds = PostgresBindings()
            binds.append(view.asOf)
            binds.append(view.pinned)
            binds.append(Int64(view.position))
            binds.append(view.rulesHash)
            binds.append(view.refreshedAt)
            binds.append(try CanonicalJSON.text(view.model))
            binds.append(try CanonicalJSON.text(view.summary))
            try t.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO \(g).rfm_model (name, as_of, pinned, position, rules_hash, refreshed_at, model, summary)
                        VALUES ('main', $1, $2, $3, $4, $5, $6, $7)
                        ON CONFLICT (name) DO UPDATE SET as_of = excluded.as_of, pinned = excluded.pinned,
                          position = excluded.position, rules_hash = excluded.rules_hash,
                          refreshed_at = excluded.refreshed_at, model = excluded.model, summary = excluded.summary
                        """, binds: binds))
            let last = try t.query(
                PostgresQuery(unsafeSQL: "SELECT hash FROM \(g).rules_applied ORDER BY seq DESC LIMIT 1")
            ).first?.decode(String.self)
            if last != rules.hash {
                var binds = PostgresBindings()
                binds.append(rules.hash)
                binds.append(rules.appliedAt)
                binds.append(rules.rules)
                try t.query(
                    PostgresQuery(
                        unsafeSQL: """
                            INSERT INTO \(g).rules_applied (seq, hash, applied_at, rules)
                            SELECT coalesce(max(seq), 0) + 1, $1, $2, $3 FROM \(g).rules_applied
                            """, binds: binds))
            }
        }
    }
}
