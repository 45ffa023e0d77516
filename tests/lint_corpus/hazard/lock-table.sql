-- source: PostgreSQL 15 docs, LOCK: "If no lock mode is specified, then ACCESS EXCLUSIVE"; held until the transaction ends
-- expect: AD117
-- locks: accounts ACCESS EXCLUSIVE

LOCK TABLE accounts;
