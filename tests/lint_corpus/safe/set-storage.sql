-- source: PostgreSQL 15 docs, ALTER TABLE, SET STORAGE: affects values written later, nothing is rewritten
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ALTER COLUMN note SET STORAGE EXTERNAL;
