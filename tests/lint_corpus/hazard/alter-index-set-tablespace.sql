-- source: PostgreSQL 15 docs, ALTER INDEX, SET TABLESPACE: the index is moved (copied); ACCESS EXCLUSIVE on the index (measured: none on the table)
-- expect: AD117
-- locks: accounts_name_idx ACCESS EXCLUSIVE

ALTER INDEX accounts_name_idx SET TABLESPACE pg_default;
