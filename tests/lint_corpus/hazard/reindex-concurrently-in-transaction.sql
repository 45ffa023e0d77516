-- source: PostgreSQL 15 docs, REINDEX: REINDEX CONCURRENTLY cannot run inside a transaction block
-- expect: AD105

REINDEX INDEX CONCURRENTLY accounts_name_idx;
