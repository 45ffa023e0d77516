-- Primary keys, foreign keys and CHECKs of the given tables. Columns come back
-- as names in key order; a foreign key with its MATCH type ('s' simple, 'f'
-- full) and deferrability; CHECKs in pg_get_constraintdef's pretty form, which is
-- compared by meaning (the constraint's name is never compared).
-- Parameters: names text[] (table names, looked up on the search_path like tables.sql)
SELECT con.conrelid AS table_oid,
       con.conname AS name,
       con.contype AS kind,
       ARRAY(SELECT a.attname
               FROM unnest(con.conkey) WITH ORDINALITY AS k (attnum, position)
               JOIN pg_attribute AS a
                 ON a.attrelid = con.conrelid
                AND a.attnum = k.attnum
              ORDER BY k.position) AS columns,
       CASE WHEN con.contype = 'f' THEN con.confrelid::regclass::text END AS referenced_table,
       ARRAY(SELECT a.attname
               FROM unnest(con.confkey) WITH ORDINALITY AS k (attnum, position)
               JOIN pg_attribute AS a
                 ON a.attrelid = con.confrelid
                AND a.attnum = k.attnum
              ORDER BY k.position) AS referenced_columns,
       con.confdeltype AS on_delete,
       con.confupdtype AS on_update,
       con.confmatchtype AS match_type,
       con.condeferrable AS deferrable,
       con.condeferred AS initially_deferred,
       CASE WHEN con.contype = 'c' THEN pg_get_constraintdef(con.oid, true) END AS definition,
       con.convalidated AS validated
  FROM pg_constraint AS con
 WHERE con.conrelid = ANY (ARRAY(SELECT to_regclass(quote_ident(n))::oid FROM unnest(%(names)s::text[]) AS n))
   AND con.contype IN ('p', 'f', 'c')
 ORDER BY con.conrelid, con.contype, con.conname;
