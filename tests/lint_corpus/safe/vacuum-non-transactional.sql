-- source: PostgreSQL 15 docs, VACUUM: plain VACUUM "can operate in parallel with normal reading and writing of the table"; SHARE UPDATE EXCLUSIVE (13.3)
-- expect: nothing
-- promise: writes continue on orders
-- transactional: false

VACUUM (ANALYZE) orders;
