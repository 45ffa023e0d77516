-- source: PostgreSQL 15 docs, ALTER DOMAIN, VALIDATE CONSTRAINT: checks every column of the domain; SHARE on each table using it (measured)
-- expect: AD117
-- locks: refunds SHARE

ALTER DOMAIN money_amount ADD CONSTRAINT money_amount_positive CHECK (VALUE >= 0) NOT VALID;
ALTER DOMAIN money_amount VALIDATE CONSTRAINT money_amount_positive;
