-- source: PostgreSQL 15 docs, ALTER TABLE, SET (storage_parameter): fillfactor and autovacuum settings take SHARE UPDATE EXCLUSIVE
-- expect: nothing
-- promise: writes continue on orders

ALTER TABLE orders SET (fillfactor = 90, autovacuum_vacuum_scale_factor = 0.05);
