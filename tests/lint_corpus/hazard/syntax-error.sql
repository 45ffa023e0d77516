-- source: PostgreSQL's grammar refuses it (a missing comma): so does the server, on every run
-- expect: AD100

ALTER TABLE accounts ADD COLUMN phone text ADD COLUMN fax text;
