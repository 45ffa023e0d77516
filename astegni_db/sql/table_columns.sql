-- Every ordinary table that holds rows of its own (partitions included, their
-- partitioned parents not: those hold none), with its columns in order.
-- `astegni-db check` fingerprints these tables' rows before and after the round
-- trip. System schemas, extension members and the migration bookkeeping tables
-- (%(ignored)s) are left out.
SELECT n.nspname AS schema_name,
       c.relname AS table_name,
       array_agg(a.attname::text ORDER BY a.attnum) AS columns
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relkind = 'r'
   AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
   AND n.nspname NOT LIKE 'pg\_temp\_%%'
   AND n.nspname NOT LIKE 'pg\_toast\_temp\_%%'
   AND NOT (c.relname = ANY (%(ignored)s::text[]))
   AND NOT EXISTS (SELECT FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND d.deptype = 'e')
 GROUP BY n.nspname, c.relname
 ORDER BY n.nspname, c.relname
