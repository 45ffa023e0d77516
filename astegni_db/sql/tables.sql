-- The spec's tables, resolved to OIDs in one round trip.
-- to_regclass() looks names up on the search_path exactly as the application's
-- unqualified queries (and the migrations) do; only these names are looked up,
-- so the cost does not grow with unrelated tables. The table's comment is read
-- from pg_description by its key (what obj_description() does), opening nothing.
-- Parameters: names text[]
SELECT wanted.name,
       c.oid AS table_oid,
       c.relkind AS kind,
       descr.description AS comment
  FROM unnest(%(names)s::text[]) AS wanted (name)
  LEFT JOIN pg_class AS c
    ON c.oid = to_regclass(quote_ident(wanted.name))
  LEFT JOIN pg_description AS descr
    ON descr.objoid = c.oid
   AND descr.classoid = 'pg_class'::regclass
   AND descr.objsubid = 0
 ORDER BY wanted.name;
