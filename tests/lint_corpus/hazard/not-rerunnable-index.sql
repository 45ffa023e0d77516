-- source: a non-transactional migration is re-run after a failure: CREATE INDEX without IF NOT EXISTS then fails
-- expect: AD112
-- transactional: false

CREATE INDEX CONCURRENTLY accounts_nickname_idx ON accounts (nickname);
