-- source: PostgreSQL 15 docs, 13.3: EXCLUSIVE "allows only concurrent ACCESS SHARE locks": writes wait until the transaction ends
-- expect: AD117
-- locks: orders EXCLUSIVE

LOCK TABLE orders IN EXCLUSIVE MODE;
