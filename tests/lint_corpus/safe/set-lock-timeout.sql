-- source: PostgreSQL 15 docs, lock_timeout: a non-zero value keeps a waiting ALTER from queueing others for long
-- expect: nothing
-- promise: nothing existing locked

SET LOCAL lock_timeout = '2s';
