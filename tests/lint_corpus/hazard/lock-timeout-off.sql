-- source: PostgreSQL 15 docs, lock_timeout: 0 waits forever, queueing every later query behind the ALTER
-- expect: AD111

SET LOCAL lock_timeout = 0;
ALTER TABLE accounts ADD COLUMN phone text;
