-- source: PostgreSQL 15 docs, 13.3: SHARE "protects a table against concurrent data changes": writes wait until the transaction ends
-- expect: AD117
-- locks: orders SHARE

LOCK TABLE orders IN SHARE MODE;
