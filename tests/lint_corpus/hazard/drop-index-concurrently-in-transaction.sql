-- source: PostgreSQL 15 docs, DROP INDEX: DROP INDEX CONCURRENTLY cannot run inside a transaction block
-- expect: AD105

DROP INDEX CONCURRENTLY IF EXISTS orders_status_idx;
