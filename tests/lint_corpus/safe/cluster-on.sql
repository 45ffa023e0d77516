-- source: PostgreSQL 15 docs, ALTER TABLE, CLUSTER ON: only marks the index for a later CLUSTER, SHARE UPDATE EXCLUSIVE
-- expect: nothing
-- promise: writes continue on accounts

ALTER TABLE accounts CLUSTER ON accounts_name_idx;
