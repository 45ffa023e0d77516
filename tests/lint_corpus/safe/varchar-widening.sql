-- source: PostgreSQL 15 docs, ALTER TABLE, SET DATA TYPE: binary coercible, no rewrite (measured: tests/test_lint_facts.py)
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ALTER COLUMN name TYPE varchar(100);
