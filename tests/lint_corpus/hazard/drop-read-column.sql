-- source: PostgreSQL 15 docs, ALTER TABLE, DROP COLUMN: queries/bookings.sql reads every column (SELECT *)
-- expect: AD109

ALTER TABLE bookings DROP COLUMN during;
