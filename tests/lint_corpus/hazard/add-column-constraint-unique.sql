-- source: outside case: ADD COLUMN ... CONSTRAINT x UNIQUE, the named spelling of the same
-- expect: AD104
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts ADD COLUMN handle text CONSTRAINT accounts_handle_key UNIQUE;
