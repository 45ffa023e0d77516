-- The seed's five scheduling columns on tutoring_sessions: session_frequency,
-- is_recurring, recurring_pattern, package_duration, grade_level. All nullable
-- and without defaults.
--
-- Databases arrive here in five legacy states (none, some or all of the
-- columns; with or without backfilled values, defaults and comments). Every
-- statement converges all of them to the spec and is a no-op when re-run:
-- - a column that already exists with another type stops the migration with
--   an exception naming it (changing its type would rewrite the table under
--   ACCESS EXCLUSIVE and could reinterpret its values: that is a human call);
-- - missing columns are added in one ALTER, catalog-only (nullable, no
--   default), so the ACCESS EXCLUSIVE lock is held for milliseconds;
-- - legacy defaults ('one-time', false) and any NOT NULL are dropped, also
--   catalog-only; rows keep every value they hold, including 'Weekly' and
--   'One-time' spellings, which verify reports rather than rewrites;
-- - no CHECK on session_frequency: even NOT VALID it would reject every
--   UPDATE of a legacy row that holds an out-of-set value;
-- - the comments are (re)written in our wording.
-- depends: 0001_baseline

DO $$
DECLARE
    sessions constant regclass := to_regclass('tutoring_sessions');
    mismatches text;
BEGIN
    IF sessions IS NULL THEN
        RAISE EXCEPTION 'tutoring_sessions not found on search_path (%): 0001_baseline creates it',
                        current_setting('search_path')
              USING ERRCODE = 'undefined_table';
    END IF;

    -- format_type() spells types the way they would be declared, typmod
    -- included, so varchar(20) or varchar without a length differ from
    -- varchar(50) just as jsonb differs from json.
    SELECT string_agg(format('%s.%I is %s, expected %s',
                             sessions, a.attname,
                             format_type(a.atttypid, a.atttypmod), spec.type_name),
                      '; ' ORDER BY a.attnum)
      INTO mismatches
      FROM (VALUES ('session_frequency', 'character varying(50)'),
                   ('is_recurring', 'boolean'),
                   ('recurring_pattern', 'json'),
                   ('package_duration', 'integer'),
                   ('grade_level', 'character varying(50)')) AS spec (column_name, type_name)
      JOIN pg_attribute a
        ON a.attrelid = sessions
       AND a.attname = spec.column_name
       AND a.attnum > 0
       AND NOT a.attisdropped
     WHERE format_type(a.atttypid, a.atttypmod) <> spec.type_name;

    IF mismatches IS NOT NULL THEN
        RAISE EXCEPTION 'column type mismatch: %', mismatches
              USING ERRCODE = 'datatype_mismatch',
                    HINT = 'astegni-db never changes a column type by itself (ALTER TYPE rewrites the table and may reinterpret values); convert or rename the column by hand, then migrate again.';
    END IF;
END
$$;

ALTER TABLE tutoring_sessions
    ADD COLUMN IF NOT EXISTS session_frequency varchar(50),
    ADD COLUMN IF NOT EXISTS is_recurring boolean,
    ADD COLUMN IF NOT EXISTS recurring_pattern json,
    ADD COLUMN IF NOT EXISTS package_duration integer,
    ADD COLUMN IF NOT EXISTS grade_level varchar(50);

-- A separate statement: ALTER COLUMN cannot name a column that an ADD COLUMN
-- of the same statement creates.
ALTER TABLE tutoring_sessions
    ALTER COLUMN session_frequency DROP DEFAULT,
    ALTER COLUMN session_frequency DROP NOT NULL,
    ALTER COLUMN is_recurring DROP DEFAULT,
    ALTER COLUMN is_recurring DROP NOT NULL,
    ALTER COLUMN recurring_pattern DROP DEFAULT,
    ALTER COLUMN recurring_pattern DROP NOT NULL,
    ALTER COLUMN package_duration DROP DEFAULT,
    ALTER COLUMN package_duration DROP NOT NULL,
    ALTER COLUMN grade_level DROP DEFAULT,
    ALTER COLUMN grade_level DROP NOT NULL;

COMMENT ON COLUMN tutoring_sessions.session_frequency IS
    'How often the session repeats: one-time, weekly, bi-weekly or monthly. Legacy rows may hold other spellings (e.g. Weekly); they are reported, never rewritten.';

COMMENT ON COLUMN tutoring_sessions.is_recurring IS
    'True when the session belongs to a recurring schedule.';

COMMENT ON COLUMN tutoring_sessions.recurring_pattern IS
    'The recurrence as JSON: {"days": [...], "months": [...], "specific_dates": [...]}.';

COMMENT ON COLUMN tutoring_sessions.package_duration IS
    'Length of the package the session belongs to, in weeks or months; NULL when not part of a package.';

COMMENT ON COLUMN tutoring_sessions.grade_level IS
    'The student''s grade level for this session (e.g. Grade 10).';
