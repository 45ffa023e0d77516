-- source: PostgreSQL 15 docs, CLUSTER: "When a table is being clustered, an ACCESS EXCLUSIVE lock is acquired on it"; the table is rewritten in index order
-- expect: AD117
-- locks: accounts ACCESS EXCLUSIVE

CLUSTER accounts USING accounts_name_idx;
