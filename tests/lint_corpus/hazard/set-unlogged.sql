-- source: PostgreSQL 15 docs, ALTER TABLE, SET LOGGED / UNLOGGED: a rewrite under ACCESS EXCLUSIVE
-- expect: AD117
-- locks: bookings ACCESS EXCLUSIVE

ALTER TABLE bookings SET UNLOGGED;
