-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: a volatile DEFAULT rewrites the table and its indexes
-- expect: AD101
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts ADD COLUMN api_key uuid DEFAULT gen_random_uuid();
