-- Roughly how many rows a table holds, without reading it: the planner's own
-- arithmetic, rows per page at the last VACUUM or ANALYZE (pg_class.reltuples
-- over relpages) times the pages the table has now, so rows added since the
-- statistics were gathered count too. A table never vacuumed or analysed
-- (reltuples -1, or no pages then) is assumed to hold 100 rows per page:
-- more than most, so that an unknown big table is sampled, not scanned.
-- pg_relation_size takes ACCESS SHARE, like the count that follows.
-- Parameters: oid (the table's)
SELECT CASE WHEN c.reltuples >= 0 AND c.relpages > 0
            THEN c.reltuples / c.relpages * size.pages
            ELSE size.pages * 100
       END::bigint AS estimated_rows
  FROM pg_class AS c
 CROSS JOIN LATERAL (
        SELECT pg_relation_size(c.oid) / current_setting('block_size')::bigint AS pages
       ) AS size
 WHERE c.oid = %(oid)s;
