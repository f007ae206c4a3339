/// The tables of the event log in PostgreSQL, one schema per store. `schemas/postgres/log.sql`
/// is this text for the default schema (`kith`); a test keeps the two the same.
///
/// - `log_head`: one row, where the log ends and what its records take. Appends update it in
///   the transaction that adds the records, so a reader sees the records and the end together.
/// - `event`: each record's position (0, 1, 2, … without gaps) and canonical line, as text.
/// - `event_key`: each record's idempotency key, the 128-bit hash of its source and event_id
///   (`EventKey`, the key the file log's `.keys` files hold), as two words; the primary key
///   makes a key land once.
///
/// No constraint spans two tables and every unique key includes the column a Citus cluster
/// would distribute its table by (see `schemas/postgres/README.md`).
public enum PostgresLogSchema {
    /// The format `log_head.format` records; a log of another format is refused, not read.
    public static let format = 1

    /// The statements that make the log's schema, if it is not there yet, in order.
    public static func statements(schema s: String) -> [String] {
        [
            "CREATE SCHEMA IF NOT EXISTS \(s)",
            """
            CREATE TABLE IF NOT EXISTS \(s).log_head (
                singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
                format integer NOT NULL,
                end_position bigint NOT NULL,
                canonical_bytes bigint NOT NULL,
                record_bytes bigint NOT NULL,
                last_appended_at timestamptz
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(s).event (
                position bigint PRIMARY KEY,
                line text NOT NULL
            )
            """,
            """
            CREATE TABLE IF NOT EXISTS \(s).event_key (
                key_high bigint NOT NULL,
                key_low bigint NOT NULL,
                position bigint NOT NULL,
                PRIMARY KEY (key_high, key_low)
            )
            """,
            """
            INSERT INTO \(s).log_head (format, end_position, canonical_bytes, record_bytes)
            VALUES (\(format), 0, 0, 0) ON CONFLICT DO NOTHING
            """,
        ]
    }

    /// The statements as one SQL script (what `schemas/postgres/log.sql` holds for `kith`).
    public static func script(schema: String) -> String {
        "-- Kith's event log in PostgreSQL, format \(format). Kith runs these itself on first use;\n"
            + "-- see schemas/postgres/README.md.\n\n"
            + statements(schema: schema).map { $0 + ";\n" }.joined(separator: "\n")
    }
}
