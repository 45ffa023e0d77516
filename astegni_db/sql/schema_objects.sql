-- Every schema object a migration can leave behind, one row each:
-- (kind, identity, description). `astegni-db check` takes this before and
-- after each migration and rollback: a rollback undid its migration when the
-- rows after it equal the rows before the migration.
--
-- System schemas, extension members and the migration bookkeeping tables
-- (%(ignored)s: yoyo's and astegni-db's, which outlive every rollback) are left out.
WITH ignored AS (
    SELECT c.oid
      FROM pg_class c
     WHERE c.relname = ANY (%(ignored)s::text[]) AND c.relkind IN ('r', 'p')
),
user_ns AS (
    SELECT n.oid, n.nspname
      FROM pg_namespace n
     WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
       AND n.nspname NOT LIKE 'pg\_temp\_%%'
       AND n.nspname NOT LIKE 'pg\_toast\_temp\_%%'
),
extension_member AS (
    SELECT d.classid, d.objid FROM pg_depend d WHERE d.deptype = 'e'
),
rels AS (
    SELECT c.oid, c.relkind, format('%%I.%%I', n.nspname, c.relname) AS ident
      FROM pg_class c
      JOIN user_ns n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S', 'i', 'I', 'c')
       AND c.oid NOT IN (SELECT oid FROM ignored)
       AND NOT EXISTS (SELECT FROM pg_index x
                        WHERE x.indexrelid = c.oid AND x.indrelid IN (SELECT oid FROM ignored))
       AND NOT EXISTS (SELECT FROM pg_depend d
                        WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                          AND d.refobjid IN (SELECT oid FROM ignored))
       AND NOT EXISTS (SELECT FROM extension_member e
                        WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
)
SELECT 'schema' AS kind, quote_ident(n.nspname) AS ident, '' AS description
  FROM user_ns n
 WHERE n.nspname <> 'public'
   AND NOT EXISTS (SELECT FROM extension_member e
                    WHERE e.classid = 'pg_namespace'::regclass AND e.objid = n.oid)
UNION ALL
SELECT CASE r.relkind WHEN 'r' THEN 'table' WHEN 'p' THEN 'table' WHEN 'v' THEN 'view'
                      WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
                      WHEN 'S' THEN 'sequence' WHEN 'c' THEN 'composite type'
                      ELSE 'index' END,
       r.ident,
       concat_ws(' ',
                 CASE WHEN r.relkind IN ('i', 'I') THEN pg_get_indexdef(r.oid) END,
                 CASE WHEN r.relkind IN ('v', 'm') THEN md5(pg_get_viewdef(r.oid)) END,
                 'comment: ' || obj_description(r.oid, 'pg_class'))
  FROM rels r
UNION ALL
SELECT 'column',
       r.ident || '.' || quote_ident(a.attname),
       concat_ws(' ',
                 format_type(a.atttypid, a.atttypmod),
                 CASE WHEN a.attnotnull THEN 'NOT NULL' END,
                 'DEFAULT ' || pg_get_expr(ad.adbin, ad.adrelid),
                 'comment: ' || col_description(a.attrelid, a.attnum))
  FROM rels r
  JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
 WHERE r.relkind IN ('r', 'p', 'v', 'm', 'f', 'c')
UNION ALL
SELECT 'constraint',
       coalesce(r.ident, format_type(con.contypid, NULL)) || '.' || quote_ident(con.conname),
       pg_get_constraintdef(con.oid)
  FROM pg_constraint con
  LEFT JOIN rels r ON r.oid = con.conrelid
  JOIN user_ns n ON n.oid = con.connamespace
 WHERE (con.conrelid <> 0 AND r.oid IS NOT NULL) OR con.contypid <> 0
UNION ALL
SELECT 'type',
       format('%%I.%%I', n.nspname, t.typname),
       concat_ws(' ', t.typtype::text,
                 (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                    FROM pg_enum e WHERE e.enumtypid = t.oid),
                 CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END)
  FROM pg_type t
  JOIN user_ns n ON n.oid = t.typnamespace
 WHERE t.typtype IN ('e', 'd', 'r', 'm')
   AND NOT EXISTS (SELECT FROM extension_member e
                    WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
UNION ALL
SELECT 'function',
       format('%%I.%%I(%%s)', n.nspname, p.proname, pg_get_function_identity_arguments(p.oid)),
       concat_ws(' ', p.prokind::text, md5(coalesce(p.prosrc, '')))
  FROM pg_proc p
  JOIN user_ns n ON n.oid = p.pronamespace
 WHERE NOT EXISTS (SELECT FROM extension_member e
                    WHERE e.classid = 'pg_proc'::regclass AND e.objid = p.oid)
UNION ALL
SELECT 'trigger', r.ident || '.' || quote_ident(tg.tgname), pg_get_triggerdef(tg.oid)
  FROM pg_trigger tg
  JOIN rels r ON r.oid = tg.tgrelid
 WHERE NOT tg.tgisinternal
UNION ALL
SELECT 'extension', quote_ident(x.extname), x.extversion
  FROM pg_extension x
 WHERE x.extname <> 'plpgsql'
ORDER BY 1, 2
