-- source: PostgreSQL 15 docs, TRUNCATE: "quickly removes all rows from a set of tables"; "acquires an ACCESS EXCLUSIVE lock on each table it operates on"
-- expect: AD118
-- locks: orders ACCESS EXCLUSIVE

TRUNCATE orders;
