-- source: PostgreSQL 15 docs, ALTER TABLE, SET DEFAULT: a volatile default set after the ADD applies to new rows only (AD101's safe rewrite)
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ADD COLUMN api_key uuid;
ALTER TABLE accounts ALTER COLUMN api_key SET DEFAULT gen_random_uuid();
