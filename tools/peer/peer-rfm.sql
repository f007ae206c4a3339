-- THE PEER, not Kith (continued after the components): RFM over each component's events, R, F
-- and M each above or below its mean, and the eight classic segments.
CREATE TABLE event_comp AS
SELECT s.ev, min(l.comp) AS comp FROM seen s JOIN label l USING (node) GROUP BY s.ev;

CREATE TABLE rfm AS
SELECT c.comp,
       count(*) FILTER (WHERE e.name = 'order_completed') AS frequency,
       coalesce(sum(e.amount) FILTER (WHERE e.name = 'order_completed'), 0)
         - coalesce(sum(e.amount) FILTER (WHERE e.name = 'refund'), 0) AS monetary,
       (epoch(now())::BIGINT - max(e.ts) FILTER (WHERE e.name = 'order_completed')) / 86400.0 AS recency_days
FROM events e JOIN event_comp c USING (ev)
GROUP BY c.comp
HAVING count(*) FILTER (WHERE e.name = 'order_completed') > 0;

CREATE TABLE segments AS
WITH means AS (SELECT avg(recency_days) AS r, avg(frequency) AS f, avg(monetary) AS m FROM rfm)
SELECT comp,
       CASE (recency_days < means.r)::INT * 4 + (frequency > means.f)::INT * 2 + (monetary > means.m)::INT
           WHEN 7 THEN 'important_value' WHEN 5 THEN 'important_development' WHEN 3 THEN 'important_retention'
           WHEN 1 THEN 'important_win_back' WHEN 6 THEN 'general_value' WHEN 4 THEN 'general_development'
           WHEN 2 THEN 'general_retention' ELSE 'general_win_back'
       END AS segment
FROM rfm, means;
