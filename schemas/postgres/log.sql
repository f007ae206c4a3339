-- Kith's event log in PostgreSQL, format 1. Kith runs these itself on first use;
-- see schemas/postgres/README.md.

CREATE SCHEMA IF NOT EXISTS kith;

CREATE TABLE IF NOT EXISTS kith.log_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    format integer NOT NULL,
    end_position bigint NOT NULL,
    canonical_bytes bigint NOT NULL,
    record_bytes bigint NOT NULL,
    last_appended_at timestamptz
);

CREATE TABLE IF NOT EXISTS kith.event (
    position bigint PRIMARY KEY,
    line text NOT NULL
);

CREATE TABLE IF NOT EXISTS kith.event_key (
    key_high bigint NOT NULL,
    key_low bigint NOT NULL,
    position bigint NOT NULL,
    PRIMARY KEY (key_high, key_low)
);

INSERT INTO kith.log_head (format, end_position, canonical_bytes, record_bytes)
VALUES (1, 0, 0, 0) ON CONFLICT DO NOTHING;
