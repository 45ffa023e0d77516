-- source: PostgreSQL 15 docs, CREATE FUNCTION: no table is touched
-- expect: nothing
-- promise: nothing existing locked

CREATE OR REPLACE FUNCTION account_label(a_id bigint) RETURNS text LANGUAGE sql STABLE
AS $$ SELECT name FROM accounts WHERE id = a_id $$;
