-- source: PostgreSQL 15 docs, CREATE DATABASE: cannot be executed inside a transaction block
-- expect: AD105

CREATE DATABASE astegni_reports;
