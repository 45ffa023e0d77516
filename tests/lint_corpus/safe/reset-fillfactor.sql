-- source: PostgreSQL 15 docs, ALTER TABLE, RESET (storage_parameter): SHARE UPDATE EXCLUSIVE
-- expect: nothing
-- promise: writes continue on orders

ALTER TABLE orders RESET (fillfactor);
