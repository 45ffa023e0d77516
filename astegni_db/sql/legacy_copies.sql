-- Tables that may be legacy copies of the spec's tables: ordinary or partitioned
-- tables in the search_path's schemas (where the application's unqualified
-- queries look, like tables.sql), other than the spec's own relations, with at
-- least min_columns of the spec's column names. The caller matches each against
-- the spec tables and counts rows of the few that match.
-- Only pg_class, pg_namespace, pg_inherits and pg_attribute are read, by index
-- after relnatts has ruled out narrower tables: no table is opened or locked.
-- Partitions and inheritance children are parts of another table, not copies;
-- yoyo's and astegni-db's bookkeeping is never a candidate.
-- Parameters: exclude oid[] (the spec's resolved relations), columns text[]
-- (every column name of the spec tables considered), min_columns int.
SELECT candidate.table_oid,
       candidate.name,
       candidate.schema_name,
       candidate.table_name,
       candidate.columns
  FROM (
        SELECT c.oid AS table_oid,
               c.oid::regclass::text AS name,
               n.nspname AS schema_name,
               c.relname AS table_name,
               ARRAY(SELECT a.attname::text
                       FROM pg_attribute AS a
                      WHERE a.attrelid = c.oid
                        AND a.attnum > 0
                        AND NOT a.attisdropped
                        AND a.attname = ANY (%(columns)s::text[])
                      ORDER BY a.attnum) AS columns
          FROM pg_class AS c
          JOIN pg_namespace AS n
            ON n.oid = c.relnamespace
         WHERE n.nspname = ANY (current_schemas(false))
           AND c.relkind IN ('r', 'p')
           AND NOT c.relispartition
           AND c.relnatts >= %(min_columns)s
           AND c.oid <> ALL (%(exclude)s::oid[])
           AND NOT starts_with(c.relname, '_yoyo')
           AND NOT starts_with(c.relname, 'yoyo_lock')
           AND NOT starts_with(c.relname, '_astegni_db_')
           AND NOT EXISTS (SELECT 1 FROM pg_inherits AS i WHERE i.inhrelid = c.oid)
       ) AS candidate
 WHERE cardinality(candidate.columns) >= %(min_columns)s
 ORDER BY candidate.name;
