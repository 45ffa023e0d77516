-- The index %(name)s beside table %(table)s (an index lives in its table's
-- schema): whether it exists, and whether PostgreSQL can use it. A CREATE INDEX
-- CONCURRENTLY that failed, timed out or was killed leaves it INVALID: the
-- planner never uses it, yet every write still maintains it.
SELECT i.indisvalid, i.indisready, format('%%I.%%I', n.nspname, c.relname) AS qualified
  FROM pg_catalog.pg_class AS c
  JOIN pg_catalog.pg_index AS i ON i.indexrelid = c.oid
  JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
 WHERE c.relname = %(name)s
   AND c.relnamespace = (SELECT t.relnamespace FROM pg_catalog.pg_class AS t
                          WHERE t.oid = to_regclass(%(table)s));
