-- source: PostgreSQL 15 docs, 13.3: ANALYZE takes SHARE UPDATE EXCLUSIVE, and may run in a transaction
-- expect: nothing
-- promise: writes continue on orders

ANALYZE orders;
