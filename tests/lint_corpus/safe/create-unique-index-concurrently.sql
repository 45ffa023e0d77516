-- source: PostgreSQL 15 docs, CREATE INDEX CONCURRENTLY: UNIQUE too
-- expect: nothing
-- promise: writes continue on accounts
-- transactional: false

CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS accounts_name_uidx ON accounts (name);
