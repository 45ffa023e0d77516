-- source: PostgreSQL 15 docs, VACUUM: VACUUM cannot be executed inside a transaction block
-- expect: AD105

VACUUM (ANALYZE) orders;
