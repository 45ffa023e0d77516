-- The spec's server defaults and nullability on tutoring_sessions, for
-- databases whose tables SQLAlchemy's create_all made (the September-2025
-- models). Those models set defaults in Python only, so such a database has
-- no server default on duration, mode, topics_covered, materials_used,
-- status, payment_status, created_at or updated_at, and tutor_id and
-- student_id are NOT NULL. Every other state (legacy scripts, the baseline)
-- already matches the spec here, and for them this migration does nothing.
--
-- One DO block reads pg_attribute and pg_attrdef and builds ONE ALTER TABLE
-- holding only what differs:
-- - SET DEFAULT where a default is missing or differs from the spec (compared
--   as pg_get_expr() prints it, the spelling checks/schema.toml uses; given no
--   relation, as a default cannot name a column, so it opens and locks none),
--   and only on a plain column of the spec's type: a column of another type,
--   an identity or a generated column is verify's to report, not ours to fix;
-- - DROP NOT NULL on tutor_id and student_id where they are NOT NULL.
-- Both are catalog-only: no scan, no rewrite, every row keeps every value
-- (status 'missed' included; verify reports it, never rewrites it). The ALTER
-- takes ACCESS EXCLUSIVE for milliseconds, and only when something differs:
-- when nothing does, no ALTER runs and tutoring_sessions is not locked at all.
-- Re-running it on a converged database is therefore a no-op.
--
-- The ORM's extra index ix_tutoring_sessions_id (on id, redundant with the
-- primary key) is left in place on purpose: verify reports it as a note only,
-- and the application's metadata declares it (index=True), so dropping it here
-- would only have the next create_all build it again.
--
-- The rollback does nothing, on purpose: see 0004's rollback file.
-- depends: 0003_tutoring_sessions_tutor_date_index

DO $$
DECLARE
    sessions constant regclass := to_regclass('tutoring_sessions');
    actions text;
BEGIN
    IF sessions IS NULL THEN
        RAISE EXCEPTION 'tutoring_sessions not found on search_path (%): 0001_baseline creates it',
                        current_setting('search_path')
              USING ERRCODE = 'undefined_table';
    END IF;

    SELECT string_agg(spec.action, ', ' ORDER BY a.attnum)
      INTO actions
      FROM (VALUES
               ('duration', 'integer', '60'),
               ('mode', 'character varying', '''online''::character varying'),
               ('topics_covered', 'json', '''[]''::json'),
               ('materials_used', 'json', '''[]''::json'),
               ('status', 'character varying', '''scheduled''::character varying'),
               ('payment_status', 'character varying', '''pending''::character varying'),
               ('created_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP'),
               ('updated_at', 'timestamp without time zone', 'CURRENT_TIMESTAMP')
           ) AS wanted (column_name, type_name, default_expr)
      JOIN pg_attribute a
        ON a.attrelid = sessions
       AND a.attname = wanted.column_name
       AND a.attnum > 0
       AND NOT a.attisdropped
      LEFT JOIN pg_attrdef d
        ON d.adrelid = a.attrelid
       AND d.adnum = a.attnum
     CROSS JOIN LATERAL (SELECT format('ALTER COLUMN %I SET DEFAULT %s',
                                       a.attname, wanted.default_expr)) AS spec (action)
     WHERE format_type(a.atttypid, a.atttypmod) = wanted.type_name
       AND a.attidentity = ''
       AND a.attgenerated = ''
       AND CASE WHEN a.attgenerated = '' THEN pg_get_expr(d.adbin, 0) END
           IS DISTINCT FROM wanted.default_expr;

    SELECT concat_ws(', ', actions,
                     string_agg(format('ALTER COLUMN %I DROP NOT NULL', a.attname),
                                ', ' ORDER BY a.attnum))
      INTO actions
      FROM pg_attribute a
     WHERE a.attrelid = sessions
       AND a.attname IN ('tutor_id', 'student_id')
       AND a.attnum > 0
       AND NOT a.attisdropped
       AND a.attnotnull;

    IF actions <> '' THEN
        EXECUTE format('ALTER TABLE %s %s', sessions, actions);
    END IF;
END
$$;
