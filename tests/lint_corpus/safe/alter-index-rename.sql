-- source: PostgreSQL 15 docs, ALTER INDEX RENAME: SHARE UPDATE EXCLUSIVE
-- expect: nothing
-- promise: writes continue on accounts

ALTER INDEX accounts_name_idx RENAME TO accounts_by_name_idx;
