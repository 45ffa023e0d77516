-- Columns of the given tables: type as declared (typmod included), nullability,
-- default as PostgreSQL prints it, comment, and the sequence the column owns
-- (a serial column's default is nextval() of it, whatever its name).
-- The collation only when it is not the type's default (typcollation), named
-- as SQL names it: quoted unless a plain lower-case name, schema-qualified
-- when not visible on the search_path.
-- pg_get_expr() gets relation 0 unless the column is generated: only generated
-- columns' expressions can hold column references, and naming the relation
-- makes PostgreSQL open it, building its relcache entry with every trigger; a
-- table referenced by thousands of foreign keys has thousands of RI triggers.
-- Parameters: names text[] (table names, looked up on the search_path like tables.sql)
SELECT a.attrelid AS table_oid,
       a.attname AS name,
       format_type(a.atttypid, a.atttypmod) AS type,
       NOT a.attnotnull AS nullable,
       pg_get_expr(d.adbin, CASE WHEN a.attgenerated = '' THEN 0 ELSE d.adrelid END)
           AS default_expr,
       a.attidentity AS identity,
       a.attgenerated AS generated,
       descr.description AS comment,
       owned.sequence_name AS owned_sequence,
       CASE WHEN a.attcollation <> 0 AND a.attcollation <> typ.typcollation THEN
           CASE WHEN pg_collation_is_visible(coll.oid) THEN ''
                ELSE quote_ident(coll_ns.nspname) || '.'
           END || quote_ident(coll.collname)
       END AS collation
  FROM pg_attribute AS a
  JOIN pg_type AS typ
    ON typ.oid = a.atttypid
  LEFT JOIN pg_collation AS coll
    ON coll.oid = a.attcollation
  LEFT JOIN pg_namespace AS coll_ns
    ON coll_ns.oid = coll.collnamespace
  LEFT JOIN pg_attrdef AS d
    ON d.adrelid = a.attrelid
   AND d.adnum = a.attnum
  LEFT JOIN pg_description AS descr
    ON descr.objoid = a.attrelid
   AND descr.classoid = 'pg_class'::regclass
   AND descr.objsubid = a.attnum
  LEFT JOIN LATERAL (
        SELECT s.oid::regclass::text AS sequence_name
          FROM pg_depend AS dep
          JOIN pg_class AS s
            ON s.oid = dep.objid
           AND s.relkind = 'S'
         WHERE dep.refclassid = 'pg_class'::regclass
           AND dep.refobjid = a.attrelid
           AND dep.refobjsubid = a.attnum
           AND dep.classid = 'pg_class'::regclass
           AND dep.deptype = 'a'
         LIMIT 1
       ) AS owned ON true
 WHERE a.attrelid = ANY (ARRAY(SELECT to_regclass(quote_ident(n))::oid FROM unnest(%(names)s::text[]) AS n))
   AND a.attnum > 0
   AND NOT a.attisdropped
 ORDER BY a.attrelid, a.attnum;
