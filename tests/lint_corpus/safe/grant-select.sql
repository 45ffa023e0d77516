-- source: PostgreSQL 15 docs, GRANT: privileges are catalog rows, no table lock
-- expect: nothing
-- promise: nothing existing locked

GRANT SELECT ON accounts, orders TO PUBLIC;
