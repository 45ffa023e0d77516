-- source: PostgreSQL 15 docs, 13.3: SHARE ROW EXCLUSIVE conflicts with ROW EXCLUSIVE: writes wait until the transaction ends
-- expect: AD117
-- locks: orders SHARE ROW EXCLUSIVE

LOCK TABLE orders IN SHARE ROW EXCLUSIVE MODE;
