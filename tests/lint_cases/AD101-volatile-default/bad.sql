-- A per-row default on a busy table: the whole table is rewritten.
ALTER TABLE tutoring_sessions
    ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
