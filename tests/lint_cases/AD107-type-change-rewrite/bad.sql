ALTER TABLE invoices ALTER COLUMN amount TYPE bigint;
