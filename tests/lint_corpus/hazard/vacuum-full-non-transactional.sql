-- source: PostgreSQL 15 docs, VACUUM: FULL "requires an ACCESS EXCLUSIVE lock on each table while it is being processed" and writes a new copy of the table
-- expect: AD117
-- locks: accounts ACCESS EXCLUSIVE
-- transactional: false

VACUUM FULL accounts;
