import GRDB
import KithCore

extension SQLiteProjectionStore {
    /// The scheme the store's profile ids were made with (nil: an empty store that has none yet).
    public func profileIDScheme() throws -> String? {
        try pool.read { db in
            try String.fetchOne(db, sql: "SELECT value FROM store_setting WHERE name = 'profile_ids'")
        }
    }

    /// Renames every profile whose id another scheme made; each old id stays in `profile_id`
    /// with the same anchor, so it resolves to the profile it named (see `resolve`). One
    /// transaction: readers see the old names or the new, never a mix.
    public func adoptProfileIDs(_ ids: ProfileIDs) throws {
        if try profileIDScheme() == ids.scheme { return }
        try pool.write { db in
            let stored = try String.fetchOne(db, sql: "SELECT value FROM store_setting WHERE name = 'profile_ids'")
            guard stored != ids.scheme else { return }
            defer {
                try? db.execute(
                    sql: "INSERT OR REPLACE INTO store_setting (name, value) VALUES ('profile_ids', ?)",
                    arguments: [ids.scheme])
            }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT p.id, p.anchor, p.created_position, n.kind, n.value
                    FROM profile_id p JOIN node n ON n.id = p.anchor
                    """)
            guard !rows.isEmpty else { return }
            var renamed: [String: String] = [:]
            let insert = try db.makeStatement(
                sql: "INSERT OR IGNORE INTO profile_id (id, anchor, created_position) VALUES (?, ?, ?)")
            for row in rows {
                let old: String = row[0]
                let anchor = Identifier(IdentifierKind(rawValue: row[3]), row[4])
                let new = ids.of(anchor)
                guard new != old else { continue }
                renamed[old] = new
                try insert.execute(arguments: [new, row[1] as Int64, row[2] as Int64])
            }
            guard !renamed.isEmpty else { return }
            try db.execute(sql: "CREATE TEMP TABLE renamed (old TEXT PRIMARY KEY, new TEXT NOT NULL) WITHOUT ROWID")
            defer { try? db.execute(sql: "DROP TABLE temp.renamed") }
            let pair = try db.makeStatement(sql: "INSERT INTO temp.renamed (old, new) VALUES (?, ?)")
            for (old, new) in renamed { try pair.execute(arguments: [old, new]) }
            for (table, column) in [
                ("membership", "profile"), ("profile_rfm", "profile"), ("profile_change", "profile"),
            ] {
                try db.execute(
                    sql: """
                        UPDATE \(table) SET \(column) = (SELECT new FROM temp.renamed WHERE old = \(column))
                        WHERE \(column) IN (SELECT old FROM temp.renamed)
                        """)
            }
            // A change's other profiles are a comma-separated list.
            let changes = try Row.fetchAll(db, sql: "SELECT seq, others FROM profile_change WHERE others <> ''")
            let update = try db.makeStatement(sql: "UPDATE profile_change SET others = ? WHERE seq = ?")
            for change in changes {
                let others: String = change[1]
                let names = others.split(separator: ",").map { renamed[String($0)] ?? String($0) }.joined(
                    separator: ",")
                if names != others { try update.execute(arguments: [names, change[0] as Int64]) }
            }
        }
    }
}
