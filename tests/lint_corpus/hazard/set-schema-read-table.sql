-- source: squawk: ban-set-schema / PostgreSQL 15 docs, ALTER TABLE, SET SCHEMA: the application's queries name orders without the archive schema
-- expect: AD108

ALTER TABLE orders SET SCHEMA archive;
