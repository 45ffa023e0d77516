-- Indexes of the given tables, described by definition rather than name:
-- access method, key columns or expressions with their sort order, INCLUDE
-- columns, partial-index predicate, uniqueness and validity (a failed
-- CREATE INDEX CONCURRENTLY leaves an invalid index behind).
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
       i.indisvalid AS is_valid,
       ARRAY(SELECT CASE WHEN i.indkey[k - 1] = 0
                         THEN pg_get_indexdef(i.indexrelid, k, true)
                         ELSE quote_ident(key_column.attname)
                    END
                    || CASE WHEN i.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END
                    || CASE i.indoption[k - 1] & 3
                           WHEN 2 THEN ' NULLS FIRST'
                           WHEN 1 THEN ' NULLS LAST'
                           ELSE ''
                       END
               FROM generate_series(1, i.indnkeyatts) AS k
               LEFT JOIN pg_attribute AS key_column
                 ON key_column.attrelid = i.indrelid
                AND key_column.attnum = i.indkey[k - 1]
              ORDER BY k) AS columns,
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
