-- source: PostgreSQL 15 docs, 13.3: COMMENT ON takes SHARE UPDATE EXCLUSIVE
-- expect: nothing
-- promise: writes continue on accounts

COMMENT ON TABLE accounts IS 'One row per customer';
