-- source: PostgreSQL 15 docs, RESET: lock_timeout back to its default (0, no timeout)
-- expect: AD111

RESET lock_timeout;
ALTER TABLE accounts ADD COLUMN phone text;
