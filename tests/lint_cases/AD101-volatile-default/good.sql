-- Catalog-only: a stable default (evaluated once), then the volatile default for new rows only.
ALTER TABLE tutoring_sessions
    ADD COLUMN reviewed_at timestamptz DEFAULT now(),
    ADD COLUMN public_id uuid;
ALTER TABLE tutoring_sessions ALTER COLUMN public_id SET DEFAULT gen_random_uuid();
-- Existing rows are backfilled in batches by a separate job.
