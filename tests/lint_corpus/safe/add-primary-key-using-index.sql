-- source: PostgreSQL 15 docs, ALTER TABLE, ADD table_constraint_using_index: the column is already NOT NULL, nothing is scanned
-- expect: nothing
-- promise: catalog-only audit_log

ALTER TABLE audit_log ADD CONSTRAINT audit_log_pkey PRIMARY KEY USING INDEX audit_log_entry_uidx;
