-- source: PostgreSQL 15 docs, ALTER TABLE, SET LOGGED: the rewrite is of the table named; one this migration created is unused
-- expect: nothing
-- promise: nothing existing locked

CREATE UNLOGGED TABLE order_imports (order_id bigint, raw text);
INSERT INTO order_imports SELECT id, status FROM orders;
ALTER TABLE order_imports SET LOGGED;
