-- source: PostgreSQL 15 docs, REFRESH MATERIALIZED VIEW: its ACCESS EXCLUSIVE is on the view; a view this migration created has no readers yet (the query reads orders under ACCESS SHARE)
-- expect: nothing
-- promise: nothing existing locked

CREATE MATERIALIZED VIEW order_status_counts AS SELECT status, count(*) AS n FROM orders GROUP BY status;
REFRESH MATERIALIZED VIEW order_status_counts;
