-- source: the guarded step astegni-db plan writes: LOCK TABLE first, then a statement that takes the same mode anyway (PostgreSQL 15 docs, 13.3: a transaction holds a lock until it ends, so taking it early changes only when the wait happens)
-- expect: nothing
-- promise: catalog-only accounts

LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE;
ALTER TABLE accounts ADD COLUMN IF NOT EXISTS lock_probe_note text;
