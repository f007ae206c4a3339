-- THE PEER, not Kith: the nightly batch as a retailer's analyst would write it in DuckDB.
-- Read the day's channel exports (NDJSON and the three CSV layouts), normalise identifiers,
-- drop values seen with too many others (a frequency blocklist), join the rest into connected
-- components (label propagation, driven by peer.py until nothing changes), then RFM with the
-- eight classic segments over the components. tools/nightly-batch.sh times it beside Kith.
-- {exports} is replaced by the exports folder, {shared} by the blocklist's partner limit.

CREATE MACRO digits(r) AS regexp_replace(coalesce(r, ''), '[^0-9]', '', 'g');
CREATE MACRO norm_phone(r) AS (
    CASE
        WHEN length(digits(r)) = 11 AND digits(r) LIKE '1%' THEN '+86' || digits(r)
        WHEN length(digits(r)) = 13 AND digits(r) LIKE '861%' THEN '+' || digits(r)
        WHEN length(digits(r)) = 15 AND digits(r) LIKE '00861%' THEN '+' || substr(digits(r), 3)
    END);
CREATE MACRO norm_value(kind, r) AS (
    CASE kind
        WHEN 'phone' THEN norm_phone(r)
        WHEN 'email' THEN nullif(lower(trim(r)), '')
        ELSE nullif(trim(r), '')
    END);

-- Events: NDJSON as it comes, the CSV exports mapped by hand; local times are +08:00.
CREATE TABLE json_events AS
SELECT source, event_id, type, name, epoch(try_cast(occurred_at AS TIMESTAMPTZ))::BIGINT AS ts,
       try_cast(json_extract_string(properties, '$.amount') AS DECIMAL(18, 2)) AS amount, identifiers
FROM read_ndjson('{exports}/*.ndjson', ignore_errors = true, columns = {
    event_id: 'VARCHAR', source: 'VARCHAR', type: 'VARCHAR', name: 'VARCHAR', occurred_at: 'VARCHAR',
    identifiers: 'JSON', properties: 'JSON'})
WHERE event_id IS NOT NULL AND source IS NOT NULL AND type IS NOT NULL AND name IS NOT NULL;

CREATE TABLE csv_rows AS
SELECT 'pos' AS source, "门店" || '-' || "小票号" AS event_id, 'transaction' AS type,
       CASE "交易类型" WHEN '销售' THEN 'order_completed' WHEN '退货' THEN 'refund' END AS name,
       epoch(try_strptime("交易时间", '%Y/%m/%d %H:%M'))::BIGINT - 28800 AS ts,
       try_cast("实付金额" AS DECIMAL(18, 2)) AS amount,
       [{'kind': 'phone', 'raw': "手机号"}, {'kind': 'member_id', 'raw': "会员卡号"}] AS ids
FROM read_csv('{exports}/pos.csv', header = true, all_varchar = true, ignore_errors = true)
UNION ALL
SELECT 'tmall', "订单编号", 'transaction',
       CASE "订单状态" WHEN '交易成功' THEN 'order_completed' WHEN '退款成功' THEN 'refund' END,
       epoch(try_strptime("订单创建时间", '%Y-%m-%d %H:%M:%S'))::BIGINT - 28800,
       try_cast("买家实际支付金额" AS DECIMAL(18, 2)),
       [{'kind': 'customer_id', 'raw': "买家会员名"}, {'kind': 'phone', 'raw': "联系手机"}]
FROM read_csv('{exports}/tmall.csv', header = true, all_varchar = true, ignore_errors = true)
UNION ALL
SELECT 'survey', "答卷编号", 'feedback', 'nps',
       epoch(try_strptime("提交时间", '%Y/%m/%d %H:%M'))::BIGINT - 28800, NULL,
       [{'kind': 'phone', 'raw': "手机号码"}, {'kind': 'email', 'raw': "电子邮箱"}]
FROM read_csv('{exports}/survey.csv', header = true, all_varchar = true, ignore_errors = true);

-- One row per (source, event_id): a re-sent event counts once.
CREATE TABLE events AS
SELECT row_number() OVER () AS ev, * FROM (
    SELECT DISTINCT ON (source, event_id) source, event_id, type, name, ts, amount
    FROM (SELECT source, event_id, type, name, ts, amount FROM json_events
          UNION ALL SELECT source, event_id, type, name, ts, amount FROM csv_rows WHERE name IS NOT NULL)
    WHERE ts IS NOT NULL
    ORDER BY source, event_id);

CREATE TABLE raw_ids AS
SELECT source, event_id, k AS kind, json_extract_string(identifiers, '$."' || k || '"') AS raw
FROM (SELECT source, event_id, identifiers, unnest(json_keys(identifiers)) AS k FROM json_events)
UNION ALL
SELECT source, event_id, i.kind, i.raw FROM (SELECT source, event_id, unnest(ids) AS i FROM csv_rows);

CREATE TABLE incidence AS
SELECT DISTINCT e.ev, r.kind, norm_value(r.kind, r.raw) AS value
FROM raw_ids r JOIN events e USING (source, event_id)
WHERE norm_value(r.kind, r.raw) IS NOT NULL;

CREATE TABLE nodes AS
SELECT row_number() OVER () AS node, kind, value FROM (SELECT DISTINCT kind, value FROM incidence);

CREATE TABLE seen AS SELECT i.ev, n.node, n.kind FROM incidence i JOIN nodes n USING (kind, value);

-- The frequency blocklist: a value seen with more than {shared} values of other kinds is shared
-- (a shop's phone, a family tablet) and joins nobody.
CREATE TABLE pairs AS
SELECT DISTINCT a.node AS a, b.node AS b FROM seen a JOIN seen b ON a.ev = b.ev AND a.kind <> b.kind;
CREATE TABLE blocked AS SELECT a AS node FROM pairs GROUP BY a HAVING count(*) > {shared};
CREATE TABLE edges AS
SELECT a, b FROM pairs WHERE a NOT IN (SELECT node FROM blocked) AND b NOT IN (SELECT node FROM blocked);

CREATE TABLE label AS
SELECT node, node AS comp FROM nodes WHERE node NOT IN (SELECT node FROM blocked);
