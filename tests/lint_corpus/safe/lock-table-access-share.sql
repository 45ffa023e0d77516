-- source: PostgreSQL 15 docs, 13.3: ACCESS SHARE "conflicts with the ACCESS EXCLUSIVE lock mode only"
-- expect: nothing
-- promise: writes continue on accounts
-- promise: reads continue on accounts

LOCK TABLE accounts IN ACCESS SHARE MODE;
