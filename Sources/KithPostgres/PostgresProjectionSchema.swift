/// The projection tables in PostgreSQL: the SQLite store's tables, column for column, in a
/// schema of their own per generation. `schemas/postgres/projections.sql` is this text for the
/// default schema (`kith`); a test keeps the two the same.
///
/// - **Generations.** `projection_head`, in the store's own schema, names the generation in
///   force. A rebuild or replay loads a new generation's schema (`kith_p2`, `kith_p3`, …) in
///   bulk while readers keep answering from the old one, then moves the head in one statement.
///   A reader reads the head inside its snapshot, so it sees one generation throughout.
/// - **Byte order.** Every text column sorts with the `C` collation, as SQLite's text does:
///   profile pages and exports come out in the same order from either store.
/// - **Citus.** No constraint spans two tables, and every unique key includes the column its
///   table would be distributed by (see `schemas/postgres/README.md`); the identifier index
///   is not unique for that reason (one projector at a time gives each value one id).
public enum PostgresProjectionSchema {
    /// The format `projection_head.format` records; a store of another format is refused.
    public static let format = 1

    /// The schema that holds generation `generation` of the projections of store schema `s`.
    public static func generationSchema(_ s: String, _ generation: Int64) -> String { "\(s)_p\(generation)" }

    /// The head table, in the store's schema.
    public static func headStatements(schema s: String) -> [String] {
        [
            "CREATE SCHEMA IF NOT EXISTS \(s)",
            """
            CREATE TABLE IF NOT EXISTS \(s).projection_head (
                singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                format integer NOT NULL,
                generation bigint NOT NULL
            )
            """,
        ]
    }

    /// One generation's tables (primary keys included, secondary indexes not: see `indexes`).
    public static func tableStatements(generation g: String) -> [String] {
        [
            "CREATE SCHEMA \(g)",
            """
            CREATE TABLE \(g).checkpoint (
                name text COLLATE "C" PRIMARY KEY, position bigint NOT NULL, rules_hash text COLLATE "C" NOT NULL,
                last_line bytea)
            """,
            """
            CREATE TABLE \(g).node (
                id bigint PRIMARY KEY, kind text COLLATE "C" NOT NULL, value text COLLATE "C" NOT NULL,
                first_position bigint NOT NULL, events bigint NOT NULL, first_seen text COLLATE "C",
                last_seen text COLLATE "C", sources text COLLATE "C" NOT NULL, names bigint NOT NULL)
            """,
            """
            CREATE TABLE \(g).edge (
                a bigint NOT NULL, b bigint NOT NULL, events bigint NOT NULL, first_position bigint NOT NULL,
                linked boolean NOT NULL, PRIMARY KEY (a, b))
            """,
            "CREATE TABLE \(g).membership (node bigint PRIMARY KEY, profile text COLLATE \"C\" NOT NULL)",
            """
            CREATE TABLE \(g).excluded (
                node bigint PRIMARY KEY, kind integer NOT NULL, partners bigint, rule text COLLATE "C",
                evidence bigint, evidence_kind text COLLATE "C", evidence_count bigint, evidence_limit bigint)
            """,
            """
            CREATE TABLE \(g).refused_link (
                a bigint NOT NULL, b bigint NOT NULL, rule text COLLATE "C" NOT NULL, PRIMARY KEY (a, b))
            """,
            """
            CREATE TABLE \(g).profile_id (
                id text COLLATE "C" PRIMARY KEY, anchor bigint NOT NULL, created_position bigint NOT NULL)
            """,
            """
            CREATE TABLE \(g).profile_change (
                seq bigint NOT NULL, position bigint NOT NULL, kind integer NOT NULL, profile text COLLATE "C" NOT NULL,
                others text COLLATE "C" NOT NULL, PRIMARY KEY (profile, seq))
            """,
            "CREATE TABLE \(g).node_stats (node bigint PRIMARY KEY, stats bytea NOT NULL, timeline bytea NOT NULL)",
            """
            CREATE TABLE \(g).node_rfm (
                node bigint PRIMARY KEY, orders bigint NOT NULL, last_order bigint, monetary bigint NOT NULL)
            """,
            """
            CREATE TABLE \(g).profile_rfm (
                profile text COLLATE "C" PRIMARY KEY, orders bigint NOT NULL, last_order bigint,
                monetary bigint NOT NULL)
            """,
            """
            CREATE TABLE \(g).rfm_model (
                name text COLLATE "C" PRIMARY KEY, as_of bigint NOT NULL, pinned boolean NOT NULL,
                position bigint NOT NULL, rules_hash text COLLATE "C" NOT NULL, refreshed_at text COLLATE "C" NOT NULL,
                model text NOT NULL, summary text NOT NULL)
            """,
            """
            CREATE TABLE \(g).rules_applied (
                seq bigint PRIMARY KEY, hash text COLLATE "C" NOT NULL, applied_at text COLLATE "C" NOT NULL,
                rules text NOT NULL)
            """,
            "CREATE TABLE \(g).store_setting (name text COLLATE \"C\" PRIMARY KEY, value text COLLATE \"C\" NOT NULL)",
        ]
    }

    /// The generation's lookup function: everything a lookup by identifier reads, in one call
    /// (`PostgresProjectionStore.lookUp`). A lookup made of plain statements costs one round trip
    /// and one plan each; PL/pgSQL keeps its statements' plans for the session, and the outer
    /// call is trivial to plan. `STABLE`, so all its reads share the calling statement's
    /// snapshot: the head it returns and the rows are of one commit.
    ///
    /// One row of part 0: the head (format, generation), the value found (null if none), its
    /// profile, the RFM model (with a profile) or the value's standing (without one); then one row
    /// of part 1 per value of the profile.
    public static func lookUpStatements(schema s: String, generation g: String) -> [String] {
        [
            """
            CREATE OR REPLACE FUNCTION \(g).look_up(look_kind text, look_value text)
            RETURNS TABLE (
                part integer, head_format integer, head_generation bigint, found_node bigint, found_profile text,
                rfm_model text, standing_kind integer, standing_partners bigint, standing_rule text,
                standing_evidence bigint, standing_evidence_kind text, standing_evidence_count bigint,
                standing_evidence_limit bigint, value_id bigint, value_kind text, value_value text,
                value_first_position bigint, value_events bigint, value_names bigint, value_first_seen text,
                value_last_seen text, value_sources text, value_stats bytea)
            LANGUAGE plpgsql STABLE AS $look_up$
            DECLARE
                node_found bigint;
                profile_found text;
            BEGIN
                SELECT n.id INTO node_found FROM \(g).node n WHERE n.kind = look_kind AND n.value = look_value;
                IF node_found IS NOT NULL THEN
                    SELECT m.profile INTO profile_found FROM \(g).membership m WHERE m.node = node_found;
                END IF;
                RETURN QUERY
                    SELECT 0, h.format, h.generation, node_found, profile_found::text,
                        (SELECT r.model FROM \(g).rfm_model r WHERE r.name = 'main' AND profile_found IS NOT NULL),
                        e.kind, e.partners, e.rule::text, e.evidence, e.evidence_kind::text, e.evidence_count,
                        e.evidence_limit, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint,
                        NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::bytea
                    FROM \(s).projection_head h
                    LEFT JOIN \(g).excluded e ON e.node = node_found AND profile_found IS NULL;
                IF profile_found IS NOT NULL THEN
                    RETURN QUERY
                        SELECT 1, NULL::integer, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::integer,
                            NULL::bigint, NULL::text, NULL::bigint, NULL::text, NULL::bigint, NULL::bigint,
                            n.id, n.kind::text, n.value::text, n.first_position, n.events, n.names,
                            n.first_seen::text, n.last_seen::text, n.sources::text, st.stats
                        FROM \(g).membership m JOIN \(g).node n ON n.id = m.node
                        LEFT JOIN \(g).node_stats st ON st.node = m.node
                        WHERE m.profile = profile_found;
                END IF;
            END
            $look_up$
            """
        ]
    }

    /// The secondary indexes, built once a bulk load is in (sorting once beats keeping them up
    /// to date row by row).
    public static func indexes(generation g: String) -> [String] {
        [
            "CREATE INDEX IF NOT EXISTS node_identifier ON \(g).node (kind, value)",
            "CREATE INDEX IF NOT EXISTS edge_b ON \(g).edge (b)",
            "CREATE INDEX IF NOT EXISTS membership_profile ON \(g).membership (profile, node)",
            "CREATE INDEX IF NOT EXISTS refused_link_b ON \(g).refused_link (b)",
            "CREATE INDEX IF NOT EXISTS excluded_by_kind ON \(g).excluded (kind)",
        ]
    }

    /// Statistics for the planner of the large tables, once they are filled.
    public static func analyze(generation g: String) -> [String] {
        ["node", "edge", "membership", "node_stats"].map { "ANALYZE \(g).\($0)" }
    }

    /// The primary keys of the tables a rebuild fills, as they are made in `tableStatements`.
    static let primaryKeys: [(table: String, columns: String)] = [
        ("node", "id"), ("edge", "a, b"), ("membership", "node"), ("excluded", "node"), ("refused_link", "a, b"),
        ("profile_id", "id"), ("profile_change", "profile, seq"), ("node_stats", "node"), ("node_rfm", "node"),
        ("profile_rfm", "profile"),
    ]

    /// Drops the keys and indexes of an empty generation's large tables before a rebuild loads
    /// them (`keys` and `indexes` make them again).
    public static func droppingKeys(generation g: String) -> [String] {
        primaryKeys.map { "ALTER TABLE \(g).\($0.table) DROP CONSTRAINT IF EXISTS \($0.table)_pkey" }
            + ["node_identifier", "edge_b", "membership_profile", "refused_link_b", "excluded_by_kind"].map {
                "DROP INDEX IF EXISTS \(g).\($0)"
            }
    }

    /// The primary keys `droppingKeys` drops.
    public static func keys(generation g: String) -> [String] {
        primaryKeys.map { "ALTER TABLE \(g).\($0.table) ADD PRIMARY KEY (\($0.columns))" }
    }

    /// Everything for the default schema as one SQL script (`schemas/postgres/projections.sql`).
    public static func script(schema s: String) -> String {
        let g = generationSchema(s, 1)
        return "-- Kith's projections in PostgreSQL, format \(format). Kith runs these itself on first use;\n"
            + "-- a rebuild makes the next generation (\(s)_p2, …) the same way. See schemas/postgres/README.md.\n\n"
            + (headStatements(schema: s) + tableStatements(generation: g)
            + lookUpStatements(schema: s, generation: g) + indexes(generation: g) + analyze(generation: g)).map {
                $0 + ";\n"
            }
            .joined(separator: "\n")
            + "\nINSERT INTO \(s).projection_head (format, generation) VALUES (\(format), 1);\n"
    }
}
