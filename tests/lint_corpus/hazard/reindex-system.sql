-- source: outside case / PostgreSQL 15 docs, REINDEX: the SYSTEM form cannot be executed inside a transaction block
-- expect: AD105

REINDEX SYSTEM astegni;
