-- source: PostgreSQL 15 docs, 13.3: COMMENT ON takes SHARE UPDATE EXCLUSIVE
-- expect: nothing
-- promise: writes continue on orders

COMMENT ON COLUMN orders.status IS 'placed, paid, shipped or cancelled';
