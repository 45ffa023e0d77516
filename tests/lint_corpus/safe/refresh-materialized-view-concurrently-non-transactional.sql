-- source: PostgreSQL 15 docs, REFRESH MATERIALIZED VIEW, CONCURRENTLY: "without locking out concurrent selects on the materialized view"; EXCLUSIVE (13.3)
-- expect: nothing
-- promise: reads continue on account_totals
-- transactional: false

REFRESH MATERIALIZED VIEW CONCURRENTLY account_totals;
