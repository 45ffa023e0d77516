-- source: PostgreSQL 15 docs, ALTER TABLE, ADD table_constraint: EXCLUDE builds its index under ACCESS EXCLUSIVE
-- expect: AD104
-- locks: bookings ACCESS EXCLUSIVE

ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (during WITH &&);
