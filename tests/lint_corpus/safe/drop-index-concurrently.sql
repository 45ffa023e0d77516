-- source: PostgreSQL 15 docs, DROP INDEX CONCURRENTLY: without locking out selects, inserts, updates and deletes
-- expect: nothing
-- promise: writes continue on accounts
-- transactional: false

DROP INDEX CONCURRENTLY IF EXISTS accounts_name_idx;
