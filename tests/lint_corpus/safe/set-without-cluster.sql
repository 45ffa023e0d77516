-- source: PostgreSQL 15 docs, ALTER TABLE, SET WITHOUT CLUSTER: only unmarks the index for a later CLUSTER, SHARE UPDATE EXCLUSIVE
-- expect: nothing
-- promise: writes continue on accounts

ALTER TABLE accounts SET WITHOUT CLUSTER;
