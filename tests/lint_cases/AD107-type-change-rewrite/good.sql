-- Widening a varchar (or going to text) is catalog-only.
ALTER TABLE invoices ALTER COLUMN reference TYPE varchar(64);
ALTER TABLE invoices ALTER COLUMN reference TYPE text;
