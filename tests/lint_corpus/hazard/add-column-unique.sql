-- source: outside case: ADD COLUMN ... UNIQUE builds a unique index under ACCESS EXCLUSIVE
-- expect: AD104
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts ADD COLUMN handle text UNIQUE;
