-- source: PostgreSQL 15 docs, CREATE INDEX: UNIQUE builds lock out writes the same way
-- expect: AD104
-- locks: accounts SHARE

CREATE UNIQUE INDEX accounts_name_uidx ON accounts (name);
