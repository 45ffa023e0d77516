-- source: PostgreSQL 15 docs, ALTER DOMAIN, DROP NOT NULL: nothing to check; no lock on the tables using the domain (measured)
-- expect: nothing
-- promise: nothing existing locked

ALTER DOMAIN money_amount DROP NOT NULL;
