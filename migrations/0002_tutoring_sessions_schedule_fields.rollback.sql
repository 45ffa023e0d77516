-- Roll back 0002: drop the five scheduling columns, but only while none of
-- them holds a value. Some legacy databases had these columns, with data,
-- before 0002 ran, so a column's presence says nothing about who added it;
-- any non-NULL value makes the rollback fail with an exception naming the
-- columns and row counts, and nothing is changed.
--
-- The table is locked before it is read, so no value can be written between
-- the check and the drop. That check scans the table under ACCESS EXCLUSIVE:
-- acceptable for a rare, deliberate rollback, never done by the forward
-- migration.
--
-- One DO block on purpose: yoyo pairs rollback statements with forward
-- statements in reverse order, and a single statement runs exactly once.

DO $$
DECLARE
    sessions constant regclass := to_regclass('tutoring_sessions');
    present text[];
    counts bigint[];
    rows_with_data bigint;
    details text;
BEGIN
    IF sessions IS NULL THEN
        RETURN;  -- nothing to roll back (0001's rollback may already have run)
    END IF;

    EXECUTE format('LOCK TABLE %s IN ACCESS EXCLUSIVE MODE', sessions);

    SELECT array_agg(a.attname::text ORDER BY a.attnum)
      INTO present
      FROM pg_attribute a
     WHERE a.attrelid = sessions
       AND a.attnum > 0
       AND NOT a.attisdropped
       AND a.attname IN ('session_frequency', 'is_recurring', 'recurring_pattern',
                         'package_duration', 'grade_level');
    IF present IS NULL THEN
        RETURN;  -- already rolled back
    END IF;

    -- One scan counts the non-NULL values of every present column at once.
    EXECUTE format(
        'SELECT ARRAY[%s]::bigint[], count(*) FILTER (WHERE %s) FROM %s',
        (SELECT string_agg(format('count(%I)', c), ', ') FROM unnest(present) AS c),
        (SELECT string_agg(format('%I IS NOT NULL', c), ' OR ') FROM unnest(present) AS c),
        sessions)
      INTO counts, rows_with_data;

    IF rows_with_data > 0 THEN
        SELECT string_agg(format('%s (%s rows)', present[i], counts[i]), ', ' ORDER BY i)
          INTO details
          FROM generate_subscripts(present, 1) AS i
         WHERE counts[i] > 0;
        RAISE EXCEPTION 'refusing to roll back 0002_tutoring_sessions_schedule_fields: % holds data in %; % row(s) would lose values',
                        sessions, details, rows_with_data
              USING ERRCODE = 'object_in_use',
                    HINT = 'Back up these values and set them to NULL first, or leave 0002 applied.';
    END IF;

    EXECUTE format('ALTER TABLE %s %s', sessions,
                   (SELECT string_agg(format('DROP COLUMN %I', c), ', ') FROM unnest(present) AS c));
END
$$;
