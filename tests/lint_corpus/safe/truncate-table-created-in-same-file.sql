-- source: PostgreSQL 15 docs, TRUNCATE: its ACCESS EXCLUSIVE is on the tables it names; a table this migration created is empty to everyone else
-- expect: nothing
-- promise: nothing existing locked

CREATE TABLE import_batches (id bigint PRIMARY KEY, loaded_at timestamptz);
INSERT INTO import_batches VALUES (1, now());
TRUNCATE import_batches;
