-- source: PostgreSQL 15 docs, 13.3: REFRESH MATERIALIZED VIEW without CONCURRENTLY takes ACCESS EXCLUSIVE (reads of the view wait)
-- expect: AD117
-- locks: account_totals ACCESS EXCLUSIVE

REFRESH MATERIALIZED VIEW account_totals;
