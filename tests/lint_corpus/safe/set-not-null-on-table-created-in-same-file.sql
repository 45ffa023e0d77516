-- source: a table created in the same migration holds no rows
-- expect: nothing
-- promise: nothing existing locked

CREATE TABLE invoices (id bigint PRIMARY KEY, number text);
ALTER TABLE invoices ALTER COLUMN number SET NOT NULL;
