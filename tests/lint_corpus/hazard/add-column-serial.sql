-- source: PostgreSQL 15 docs, ALTER TABLE, ADD COLUMN: serial is a nextval() default, volatile: every row is rewritten
-- expect: AD101
-- locks: audit_log ACCESS EXCLUSIVE

ALTER TABLE audit_log ADD COLUMN seq serial;
