-- source: PostgreSQL 15 docs, REINDEX: the option-list spelling of CONCURRENTLY
-- expect: nothing
-- promise: writes continue on accounts
-- transactional: false

REINDEX (CONCURRENTLY) INDEX accounts_name_idx;
