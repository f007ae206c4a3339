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

CREATE OR REPLACE FUNCTION kith_p1.look_up(look_kind text, look_value text)
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
    SELECT n.id INTO node_found FROM kith_p1.node n WHERE n.kind = look_kind AND n.value = look_value;
    IF node_found IS NOT NULL THEN
        SELECT m.profile INTO profile_found FROM kith_p1.membership m WHERE m.node = node_found;
    END IF;
    RETURN QUERY
        SELECT 0, h.format, h.generation, node_found, profile_found::text,
            (SELECT r.model FROM kith_p1.rfm_model r WHERE r.name = 'main' AND profile_found IS NOT NULL),
            e.kind, e.partners, e.rule::text, e.evidence, e.evidence_kind::text, e.evidence_count,
            e.evidence_limit, NULL::bigint, NULL::text, NULL::text, NULL::bigint, NULL::bigint,
            NULL::bigint, NULL::text, NULL::text, NULL::text, NULL::bytea
        FROM kith.projection_head h
        LEFT JOIN kith_p1.excluded e ON e.node = node_found AND profile_found IS NULL;
    IF profile_found IS NOT NULL THEN
        RETURN QUERY
            SELECT 1, NULL::integer, NULL::bigint, NULL::bigint, NULL::text, NULL::text, NULL::integer,
                NULL::bigint, NULL::text, NULL::bigint, NULL::text, NULL::bigint, NULL::bigint,
                n.id, n.kind::text, n.value::text, n.first_position, n.events, n.names,
                n.first_seen::text, n.last_seen::text, n.sources::text, st.stats
            FROM kith_p1.membership m JOIN kith_p1.node n ON n.id = m.node
            LEFT JOIN kith_p1.node_stats st ON st.node = m.node
            WHERE m.profile = profile_found;
    END IF;
END
$look_up$;

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
