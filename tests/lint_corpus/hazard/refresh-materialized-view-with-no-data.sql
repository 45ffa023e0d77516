-- source: PostgreSQL 15 docs, REFRESH MATERIALIZED VIEW: WITH NO DATA leaves the view unscannable; ACCESS EXCLUSIVE (13.3)
-- expect: AD117
-- locks: account_totals ACCESS EXCLUSIVE

REFRESH MATERIALIZED VIEW account_totals WITH NO DATA;
