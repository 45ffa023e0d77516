-- source: outside case: REINDEX (CONCURRENTLY false) is a plain REINDEX
-- expect: AD114
-- locks: accounts SHARE; accounts_name_idx ACCESS EXCLUSIVE

REINDEX (CONCURRENTLY false) INDEX accounts_name_idx;
