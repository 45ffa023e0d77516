-- Who holds, or queues for, a table lock in this database in one of the given
-- modes: what a read of ours that gave up waiting (lock_timeout) was behind;
-- for one still queued, whom it waits for in turn.
-- Never the sessions' SQL text: it may hold personal data.
-- Parameters: modes (text[]: pg_locks.mode values, such as 'AccessExclusiveLock');
-- names (text[]: only these relations and their indexes; NULL: any relation).
SELECT l.relation::regclass::text AS relation,
       l.mode,
       l.granted,
       l.pid,
       coalesce(nullif(a.application_name, ''), '?') AS application_name,
       coalesce(a.usename::text, '?') AS usename,
       coalesce(a.state, '?') AS state,
       coalesce(extract(epoch FROM now() - a.xact_start), 0)::numeric(12, 1) AS transaction_seconds,
       CASE WHEN NOT l.granted THEN pg_catalog.pg_blocking_pids(l.pid) END AS queued_behind
FROM pg_catalog.pg_locks AS l
LEFT JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'relation'
  AND l.database IN (0, (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database()))
  AND l.mode = ANY (%(modes)s::text[])
  AND l.pid IS DISTINCT FROM pg_catalog.pg_backend_pid()
  AND (%(names)s::text[] IS NULL
       OR l.relation IN (SELECT c.oid FROM pg_catalog.pg_class AS c
                          WHERE c.relname = ANY (%(names)s::text[])
                         UNION ALL
                         SELECT i.indexrelid FROM pg_catalog.pg_index AS i
                           JOIN pg_catalog.pg_class AS c ON c.oid = i.indrelid
                          WHERE c.relname = ANY (%(names)s::text[])))
ORDER BY l.granted DESC, a.xact_start NULLS LAST, l.pid
