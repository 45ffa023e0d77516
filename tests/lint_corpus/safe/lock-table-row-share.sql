-- source: PostgreSQL 15 docs, 13.3: ROW SHARE (what SELECT FOR UPDATE takes) conflicts only with EXCLUSIVE and ACCESS EXCLUSIVE
-- expect: nothing
-- promise: writes continue on orders
-- promise: reads continue on orders

LOCK TABLE orders IN ROW SHARE MODE;
