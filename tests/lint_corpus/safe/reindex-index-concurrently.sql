-- source: PostgreSQL 15 docs, REINDEX CONCURRENTLY: rebuilds without locks that prevent writes
-- expect: nothing
-- promise: writes continue on accounts
-- transactional: false

REINDEX INDEX CONCURRENTLY accounts_name_idx;
