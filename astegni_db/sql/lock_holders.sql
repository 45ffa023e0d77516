-- Who holds astegni-db's migration lock (a two-key advisory lock) in this database.
-- Parameters: k1, k2 (the two int4 halves of the lock key).
SELECT a.pid,
       coalesce(nullif(a.application_name, ''), '?') AS application_name,
       coalesce(a.usename::text, '?') AS usename,
       coalesce(host(a.client_addr), 'local') AS client,
       extract(epoch FROM now() - a.backend_start)::int AS connected_seconds
FROM pg_catalog.pg_locks AS l
JOIN pg_catalog.pg_stat_activity AS a ON a.pid = l.pid
WHERE l.locktype = 'advisory'
  AND l.granted
  AND l.database = (SELECT oid FROM pg_catalog.pg_database WHERE datname = current_database())
  AND l.classid = %(k1)s::oid
  AND l.objid = %(k2)s::oid
  AND l.objsubid = 2
  AND a.pid <> pg_backend_pid()
