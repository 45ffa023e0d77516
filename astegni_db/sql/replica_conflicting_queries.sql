-- Sessions on a hot standby, in this database, whose transaction has been
-- open for at least %(older_than_s)s seconds and that hold a lock on one of
-- the named relations (or on an index of one): replaying an ACCESS EXCLUSIVE
-- lock on it conflicts with them. Idle-in-transaction sessions count: their
-- locks are held until the transaction ends, like a running query's.
-- Never their SQL text, which may hold personal data: pid, application,
-- state and for how long.
-- Parameters: names (text[]: relation names, unqualified, as lint reads them);
-- older_than_s (float8).
SELECT a.pid,
       coalesce(nullif(a.application_name, ''), '?') AS application_name,
       coalesce(a.state, '?') AS state,
       extract(epoch FROM now() - a.xact_start)::float8 AS open_s,
       array_agg(DISTINCT CASE WHEN c.relname = ANY (%(names)s::text[]) THEN c.relname
                               ELSE t.relname END) AS relations
FROM pg_catalog.pg_stat_activity AS a
JOIN pg_catalog.pg_locks AS l
  ON l.pid = a.pid
 AND l.locktype = 'relation'
 AND l.database = (SELECT d.oid FROM pg_catalog.pg_database AS d
                    WHERE d.datname = current_database())
JOIN pg_catalog.pg_class AS c ON c.oid = l.relation
LEFT JOIN pg_catalog.pg_index AS i ON i.indexrelid = c.oid
JOIN pg_catalog.pg_class AS t ON t.oid = coalesce(i.indrelid, c.oid)
WHERE a.pid <> pg_catalog.pg_backend_pid()
  AND a.datname = current_database()
  AND a.state <> 'idle'
  AND a.xact_start <= now() - make_interval(secs => %(older_than_s)s)
  AND (t.relname = ANY (%(names)s::text[]) OR c.relname = ANY (%(names)s::text[]))
GROUP BY a.pid, a.application_name, a.state, a.xact_start
ORDER BY a.xact_start, a.pid
