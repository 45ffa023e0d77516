-- source: PostgreSQL 15 docs, ALTER DOMAIN ADD ... NOT VALID: the check of existing columns is skipped
-- expect: nothing
-- promise: catalog-only refunds
-- promise: writes continue on refunds

ALTER DOMAIN money_amount ADD CONSTRAINT money_amount_positive CHECK (VALUE >= 0) NOT VALID;
