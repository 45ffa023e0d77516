-- source: PostgreSQL 15 docs, ALTER DOMAIN ADD: every column using the domain is checked (SHARE on each table, measured); squawk: ban-alter-domain-with-add-constraint
-- expect: AD102
-- locks: refunds SHARE

ALTER DOMAIN money_amount ADD CONSTRAINT money_amount_positive CHECK (VALUE >= 0);
