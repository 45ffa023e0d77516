-- source: outside case / PostgreSQL 15 docs, REINDEX: the DATABASE form cannot be executed inside a transaction block
-- expect: AD105

REINDEX DATABASE astegni;
