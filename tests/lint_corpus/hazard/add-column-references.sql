-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN with an inline REFERENCES: the foreign key is validated at once, no NOT VALID possible
-- expect: AD102
-- locks: refunds ACCESS EXCLUSIVE; accounts SHARE ROW EXCLUSIVE

ALTER TABLE refunds ADD COLUMN account_id bigint REFERENCES accounts (id);
