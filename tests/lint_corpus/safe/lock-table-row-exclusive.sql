-- source: PostgreSQL 15 docs, 13.3: ROW EXCLUSIVE, what UPDATE, DELETE and INSERT take: other writers and readers go on
-- expect: nothing
-- promise: writes continue on orders
-- promise: reads continue on orders

LOCK TABLE orders IN ROW EXCLUSIVE MODE;
