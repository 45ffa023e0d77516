-- source: PostgreSQL 15 docs, ALTER TABLE, SET TABLESPACE: "moves the data file(s) associated with the table to the new tablespace"; ACCESS EXCLUSIVE
-- expect: AD117
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts SET TABLESPACE pg_default;
