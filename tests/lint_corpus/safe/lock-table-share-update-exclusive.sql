-- source: PostgreSQL 15 docs, 13.3: SHARE UPDATE EXCLUSIVE keeps out schema changes and VACUUM, not reads or writes
-- expect: nothing
-- promise: writes continue on orders
-- promise: reads continue on orders

LOCK TABLE orders IN SHARE UPDATE EXCLUSIVE MODE;
