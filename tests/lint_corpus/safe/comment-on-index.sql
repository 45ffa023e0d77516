-- source: PostgreSQL 15 docs, 13.3: COMMENT ON takes SHARE UPDATE EXCLUSIVE
-- expect: nothing
-- promise: writes continue on accounts

COMMENT ON INDEX accounts_name_idx IS 'Search by name';
