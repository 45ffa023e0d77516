-- source: PostgreSQL 15 docs, ALTER TABLE, RENAME: catalog only; no query reads audit_log
-- expect: nothing
-- promise: catalog-only audit_log

ALTER TABLE audit_log RENAME TO audit_entries;
