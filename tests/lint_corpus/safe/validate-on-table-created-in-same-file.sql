-- source: outside case: VALIDATE of a constraint on a table this migration created (AD103 does not apply)
-- expect: nothing
-- promise: nothing existing locked

CREATE TABLE invoices (id bigint PRIMARY KEY, total numeric);
ALTER TABLE invoices ADD CONSTRAINT invoices_total_positive CHECK (total >= 0) NOT VALID;
ALTER TABLE invoices VALIDATE CONSTRAINT invoices_total_positive;
