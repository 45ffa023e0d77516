-- source: a table created in the same migration is empty and unseen: its index and constraints block nobody
-- expect: nothing
-- promise: nothing existing locked

CREATE TABLE invoices (id bigint PRIMARY KEY, number text NOT NULL, issued_on date);
CREATE INDEX invoices_issued_on_idx ON invoices (issued_on);
ALTER TABLE invoices ADD CONSTRAINT invoices_number_key UNIQUE (number);
