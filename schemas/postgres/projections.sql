-- Kith's projections in PostgreSQL, format 1. Kith runs these itself on first use;
-- a rebuild makes the next generation (kith_p2, …) the same way. See schemas/postgres/README.md.

CREATE SCHEMA IF NOT EXISTS kith;

CREATE TABLE IF NOT EXISTS kith.projection_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    format integer NOT NULL,
    generation bigint NOT NULL
);

CREATE SCHEMA kith_p1;

CREATE TABLE kith_p1.checkpoint (
    name text COLLATE "C" PRIMARY KEY, position bigint NOT NULL, rules_hash text COLLATE "C" NOT NULL,
    last_line bytea);

CREATE TABLE kith_p1.node (
    id bigint PRIMARY KEY, kind text COLLATE "C" NOT NULL, value text COLLATE "C" NOT NULL,
    first_position bigint NOT NULL, events bigint NOT NULL, first_seen text COLLATE "C",
    last_seen text COLLATE "C", sources text COLLATE "C" NOT NULL, names bigint NOT NULL);

CREATE TABLE kith_p1.edge (
    a bigint NOT NULL, b bigint NOT NULL, events bigint NOT NULL, first_position bigint NOT NULL,
    linked boolean NOT NULL, PRIMARY KEY (a, b));

CREATE TABLE kith_p1.membership (node bigint PRIMARY KEY, profile text COLLATE "C" NOT NULL);

CREATE TABLE kith_p1.excluded (
    node bigint PRIMARY KEY, kind integer NOT NULL, partners bigint, rule text COLLATE "C",
    evidence bigint, evidence_kind text COLLATE "C", evidence_count bigint, evidence_limit bigint);

CREATE TABLE kith_p1.refused_link (
    a bigint NOT NULL, b bigint NOT NULL, rule text COLLATE "C" NOT NULL, PRIMARY KEY (a, b));

CREATE TABLE kith_p1.profile_id (
    id text COLLATE "C" PRIMARY KEY, anchor bigint NOT NULL, created_position bigint NOT NULL);

CREATE TABLE kith_p1.profile_change (
    seq bigint NOT NULL, position bigint NOT NULL, kind integer NOT NULL, profile text COLLATE "C" NOT NULL,
    others text COLLATE "C" NOT NULL, PRIMARY KEY (profile, seq));

CREATE TABLE kith_p1.node_stats (node bigint PRIMARY KEY, stats bytea NOT NULL, timeline bytea NOT NULL);

CREATE TABLE kith_p1.node_rfm (
    node bigint PRIMARY KEY, orders bigint NOT NULL, last_order bigint, monetary bigint NOT NULL);

CREATE TABLE kith_p1.profile_rfm (
    profile text COLLATE "C" PRIMARY KEY, orders bigint NOT NULL, last_order bigint,
    monetary bigint NOT NULL);

CREATE TABLE kith_p1.rfm_model (
    name text COLLATE "C" PRIMARY KEY, as_of bigint NOT NULL, pinned boolean NOT NULL,
    position bigint NOT NULL, rules_hash text COLLATE "C" NOT NULL, refreshed_at text COLLATE "C" NOT NULL,
    model text NOT NULL, summary text NOT NULL);

CREATE TABLE kith_p1.rules_applied (
    seq bigint PRIMARY KEY, hash text COLLATE "C" NOT NULL, applied_at text COLLATE "C" NOT NULL,
    rules text NOT NULL);

CREATE TABLE kith_p1.store_setting (name text COLLATE "C" PRIMARY KEY, value text COLLATE "C" NOT NULL);

CREATE INDEX IF NOT EXISTS node_identifier ON kith_p1.node (kind, value);

CREATE INDEX IF NOT EXISTS edge_b ON kith_p1.edge (b);

CREATE INDEX IF NOT EXISTS membership_profile ON kith_p1.membership (profile, node);

CREATE INDEX IF NOT EXISTS refused_link_b ON kith_p1.refused_link (b);

CREATE INDEX IF NOT EXISTS excluded_by_kind ON kith_p1.excluded (kind);

ANALYZE kith_p1.node;

ANALYZE kith_p1.edge;

ANALYZE kith_p1.membership;

ANALYZE kith_p1.node_stats;

INSERT INTO kith.projection_head (format, generation) VALUES (1, 1);
