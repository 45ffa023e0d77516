-- Indexes of the given tables, described by definition rather than name:
-- access method, key columns or expressions with their sort order, INCLUDE
-- columns, partial-index predicate, uniqueness and validity (a failed
-- CREATE INDEX CONCURRENTLY leaves an invalid index behind).
-- indoption bit 1 is DESC, bit 2 is NULLS FIRST; only non-default orders print.
-- Parameters: table_oids oid[]
SELECT i.indrelid AS table_oid,
       ic.relname AS name,
       am.amname AS method,
       i.indisunique AS is_unique,
       i.indisvalid AS is_valid,
       i.indisprimary AS is_primary,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
                    || CASE WHEN i.indoption[k - 1] & 1 = 1 THEN ' DESC' ELSE '' END
                    || CASE i.indoption[k - 1] & 3
                           WHEN 2 THEN ' NULLS FIRST'
                           WHEN 1 THEN ' NULLS LAST'
                           ELSE ''
                       END
               FROM generate_series(1, i.indnkeyatts) AS k
              ORDER BY k) AS columns,
       ARRAY(SELECT pg_get_indexdef(i.indexrelid, k, true)
               FROM generate_series(i.indnkeyatts + 1, i.indnatts) AS k
              ORDER BY k) AS include,
       pg_get_expr(i.indpred, i.indrelid, true) AS predicate
  FROM pg_index AS i
  JOIN pg_class AS ic
    ON ic.oid = i.indexrelid
  JOIN pg_am AS am
    ON am.oid = ic.relam
 WHERE i.indrelid = ANY (%(table_oids)s::oid[])
 ORDER BY i.indrelid, ic.relname;
