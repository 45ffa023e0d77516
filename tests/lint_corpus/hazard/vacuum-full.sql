-- source: PostgreSQL 15 docs, VACUUM: VACUUM FULL too (and it takes ACCESS EXCLUSIVE)
-- expect: AD105

VACUUM FULL accounts;
