-- source: PostgreSQL 15 docs, CREATE INDEX, TABLESPACE and CONCURRENTLY: a copy of an index built where it should live, without blocking writes (AD117's way to move an index)
-- expect: nothing
-- promise: writes continue on accounts
-- transactional: false

CREATE INDEX CONCURRENTLY IF NOT EXISTS accounts_name_moved_idx ON accounts (name) TABLESPACE pg_default;
