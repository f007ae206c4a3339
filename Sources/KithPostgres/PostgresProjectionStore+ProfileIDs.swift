import KithCore
import PostgresNIO

extension PostgresProjectionStore {
    /// The scheme the store's profile ids were made with (nil: an empty store that has none yet).
    public func profileIDScheme() throws -> String? {
        try query(
            PostgresQuery(unsafeSQL: "SELECT value FROM \(g).store_setting WHERE name = 'profile_ids'"),
            doing: "reading how profile ids are made"
        ).first?.decode(String.self)
    }

    /// Renames every profile whose id another scheme made; each old id stays in `profile_id`
    /// with the same anchor, so it resolves to the profile it named. One transaction: readers
    /// see the old names or the new, never a mix.
    public func adoptProfileIDs(_ ids: ProfileIDs) throws {
        if try profileIDScheme() == ids.scheme { return }
        try session.transaction(doing: "renaming profiles") { t in
            try inForce(t)
            let stored = try t.query(
                PostgresQuery(unsafeSQL: "SELECT value FROM \(g).store_setting WHERE name = 'profile_ids'")
            ).first?.decode(String.self)
            guard stored != ids.scheme else { return }
            // A store several machines share has one installation's ids. Renaming them to another
            // machine's would have the machines rename them back and forth, and every profile id
            // a client keeps would change each time: refused, with what to do.
            if let stored, stored != ProfileIDs.unkeyed.scheme {
                throw ProjectionError(
                    .refused,
                    "\(location): the store's profile ids were made with another installation secret (\(stored); this data directory's is \(ids.scheme)). Every machine on one store needs the same secret: copy secret.key from the data directory that made the store"
                )
            }
            var scheme = PostgresBindings()
            scheme.append(ids.scheme)
            try t.query(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO \(g).store_setting (name, value) VALUES ('profile_ids', $1)
                        ON CONFLICT (name) DO UPDATE SET value = excluded.value
                        """, binds: scheme))
            var renamed: [String: String] = [:]
            var added: [(id: String, anchor: IdentityGraph.Node, position: UInt64)] = []
            for row in try t.query(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT p.id, p.anchor, p.created_position, n.kind, n.value
                        FROM \(g).profile_id p JOIN \(g).node n ON n.id = p.anchor
                        """))
            {
                let (old, anchor, created, kind, value) = try row.decode((String, Int64, Int64, String, String).self)
                let new = ids.of(Identifier(IdentifierKind(rawValue: kind), value))
                guard new != old else { continue }
                renamed[old] = new
                added.append((new, IdentityGraph.Node(anchor), UInt64(created)))
            }
            guard !renamed.isEmpty else { return }
            try PostgresRowWriter(t, g: g).insert(profiles: added)
            var pairs = PostgresBindings()
            pairs.append(Array(renamed.keys))
            pairs.append(Array(renamed.values))
            for (table, column) in [
                ("membership", "profile"), ("profile_rfm", "profile"), ("profile_change", "profile"),
            ] {
                try t.query(
                    PostgresQuery(
                        unsafeSQL: """
                            UPDATE \(g).\(table) x SET \(column) = r.new FROM unnest($1::text[], $2::text[]) AS r (old, new)
                            WHERE x.\(column) = r.old
                            """, binds: pairs))
            }
            // A change's other profiles are a comma-separated list.
            var updates: [(seq: Int64, others: String)] = []
            for row in try t.query(
                PostgresQuery(unsafeSQL: "SELECT seq, others FROM \(g).profile_change WHERE others <> ''"))
            {
                let (seq, others) = try row.decode((Int64, String).self)
                let names = others.split(separator: ",").map { renamed[String($0)] ?? String($0) }
                    .joined(separator: ",")
                if names != others { updates.append((seq, names)) }
            }
            var changed = PostgresBindings()
            changed.append(updates.map(\.seq))
            changed.append(updates.map(\.others))
            if !updates.isEmpty {
                try t.query(
                    PostgresQuery(
                        unsafeSQL: """
                            UPDATE \(g).profile_change c SET others = u.others FROM unnest($1::int8[], $2::text[]) AS u (seq, others)
                            WHERE c.seq = u.seq
                            """, binds: changed))
            }
        }
    }
}
