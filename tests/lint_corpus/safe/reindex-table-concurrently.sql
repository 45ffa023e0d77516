-- source: PostgreSQL 15 docs, REINDEX CONCURRENTLY: TABLE too
-- expect: nothing
-- promise: writes continue on orders
-- transactional: false

REINDEX TABLE CONCURRENTLY orders;
