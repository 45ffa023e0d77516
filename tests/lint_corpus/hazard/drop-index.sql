-- source: outside case / PostgreSQL 15 docs, DROP INDEX: a normal DROP INDEX takes ACCESS EXCLUSIVE on the table
-- expect: AD113
-- locks: accounts ACCESS EXCLUSIVE; accounts_name_idx ACCESS EXCLUSIVE

DROP INDEX accounts_name_idx;
