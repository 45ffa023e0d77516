-- source: PostgreSQL 15 docs, ALTER TABLE, RENAME: the application's queries (queries/orders.sql) fail once it commits
-- expect: AD108

ALTER TABLE orders RENAME TO purchases;
