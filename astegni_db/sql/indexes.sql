-- Indexes of the given tables, described by definition rather than name:
-- access method, key columns or expressions, INCLUDE columns, partial-index
-- predicate, uniqueness, NULLS NOT DISTINCT and validity (a failed
-- CREATE INDEX CONCURRENTLY leaves an invalid index behind).
-- Each key comes back in parts, from which catalog.py spells it the way
-- pg_get_indexdef() prints a key: expr [COLLATE c] [opclass] [DESC] [NULLS ...].
-- The collation counts as shown when it differs from the column's own (for an
-- expression: from the database default, 100); the operator class when it is
-- not the default one of its type (pg_opclass.opcdefault). Both are returned
-- anyway, so a spec that spells a default out still matches.
-- indoption bit 1 is DESC, bit 2 is NULLS FIRST; only non-default orders print.
-- Plain key columns are named from pg_attribute; pg_get_indexdef() deparses
-- only expressions and predicates, since it opens relations (building relcache
-- entries, which costs more the more foreign keys point at the table). The
-- primary key's index is skipped: it is checked as the primary key.
-- Parameters: names text[] (table names, looked up on the search_path like tables.sql)
SELECT i.indrelid AS table_oid,
       ic.relname AS name,
       am.amname AS method,
       i.indisunique AS is_unique,
       i.indnullsnotdistinct AS nulls_not_distinct,
       i.indisvalid AS is_valid,
       (SELECT jsonb_agg(
                   jsonb_build_object(
                       'expr',
                       CASE WHEN i.indkey[k - 1] = 0
                            THEN pg_get_indexdef(i.indexrelid, k, true)
                            ELSE quote_ident(key_column.attname)
                       END,
                       'collation',
                       CASE WHEN coll.oid IS NOT NULL THEN
                           CASE WHEN pg_collation_is_visible(coll.oid) THEN ''
                                ELSE quote_ident(coll_ns.nspname) || '.'
                           END || quote_ident(coll.collname)
                       END,
                       'collation_shown',
                       i.indcollation[k - 1] <> 0
                       AND i.indcollation[k - 1] <> coalesce(key_column.attcollation, 100),
                       'opclass',
                       CASE WHEN pg_opclass_is_visible(opc.oid) THEN ''
                            ELSE quote_ident(opc_ns.nspname) || '.'
                       END || quote_ident(opc.opcname),
                       'opclass_shown',
                       NOT opc.opcdefault,
                       'order',
                       CASE WHEN i.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END
                       || CASE i.indoption[k - 1] & 3
                              WHEN 2 THEN ' NULLS FIRST'
                              WHEN 1 THEN ' NULLS LAST'
                              ELSE ''
                          END)
                   ORDER BY k)
          FROM generate_series(1, i.indnkeyatts) AS k
          LEFT JOIN pg_attribute AS key_column
            ON key_column.attrelid = i.indrelid
           AND key_column.attnum = i.indkey[k - 1]
          LEFT JOIN pg_collation AS coll
            ON coll.oid = i.indcollation[k - 1]
          LEFT JOIN pg_namespace AS coll_ns
            ON coll_ns.oid = coll.collnamespace
          JOIN pg_opclass AS opc
            ON opc.oid = i.indclass[k - 1]
          JOIN pg_namespace AS opc_ns
            ON opc_ns.oid = opc.opcnamespace) AS keys,
       ARRAY(SELECT quote_ident(a.attname)
               FROM generate_series(i.indnkeyatts + 1, i.indnatts) AS k
               JOIN pg_attribute AS a
                 ON a.attrelid = i.indrelid
                AND a.attnum = i.indkey[k - 1]
              ORDER BY k) AS include,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate
  FROM pg_index AS i
  JOIN pg_class AS ic
    ON ic.oid = i.indexrelid
  JOIN pg_am AS am
    ON am.oid = ic.relam
 WHERE i.indrelid = ANY (ARRAY(SELECT to_regclass(quote_ident(n))::oid FROM unnest(%(names)s::text[]) AS n))
   AND NOT i.indisprimary
 ORDER BY i.indrelid, ic.relname;
