-- source: PostgreSQL 15 docs, 13.3: REFRESH MATERIALIZED VIEW CONCURRENTLY takes EXCLUSIVE (reads continue)
-- expect: nothing
-- promise: reads continue on account_totals

REFRESH MATERIALIZED VIEW CONCURRENTLY account_totals;
