-- source: rows into a table created in the same migration
-- expect: nothing
-- promise: nothing existing locked

CREATE TABLE plans (code text PRIMARY KEY, monthly_fee numeric(8,2) NOT NULL);
INSERT INTO plans (code, monthly_fee) VALUES ('free', 0), ('pro', 250);
