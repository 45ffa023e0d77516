-- source: PostgreSQL 15 docs, ALTER TABLE, SET STATISTICS: SHARE UPDATE EXCLUSIVE
-- expect: nothing
-- promise: writes continue on orders

ALTER TABLE orders ALTER COLUMN status SET STATISTICS 500;
