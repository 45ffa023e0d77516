-- source: PostgreSQL 15 docs, TRUNCATE, CASCADE: "Automatically truncate all tables that have foreign-key references to any of the named tables"; squawk: ban-truncate-cascade
-- expect: AD118
-- locks: accounts ACCESS EXCLUSIVE

TRUNCATE accounts CASCADE;
