-- source: outside case / PostgreSQL 15 docs, REINDEX: locks out writes (SHARE on the table) and takes ACCESS EXCLUSIVE on the index
-- expect: AD114
-- locks: accounts SHARE; accounts_name_idx ACCESS EXCLUSIVE

REINDEX INDEX accounts_name_idx;
