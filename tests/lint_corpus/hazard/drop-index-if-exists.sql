-- source: PostgreSQL 15 docs, DROP INDEX: IF EXISTS changes nothing about the lock
-- expect: AD113
-- locks: orders ACCESS EXCLUSIVE; orders_status_idx ACCESS EXCLUSIVE

DROP INDEX IF EXISTS orders_status_idx;
