-- source: PostgreSQL 15 docs, CLUSTER: the ACCESS EXCLUSIVE lock is on the table clustered; one this migration created is unused
-- expect: nothing
-- promise: nothing existing locked

CREATE TABLE account_snapshots (account_id bigint, taken_at timestamptz);
CREATE INDEX account_snapshots_taken_idx ON account_snapshots (taken_at);
INSERT INTO account_snapshots SELECT id, created_at FROM accounts;
CLUSTER account_snapshots USING account_snapshots_taken_idx;
