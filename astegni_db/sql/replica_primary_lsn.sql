-- The primary's WAL insert position, for a role that may not call
-- pg_logical_emit_message (astegni_db/replicas/standbys.py flushes with it
-- and reads pg_current_wal_flush_lsn() instead). The insert position covers
-- every commit so far, even one under synchronous_commit = off not yet
-- written; but where it starts a WAL page it points past the page's header,
-- where no record ends and a standby's replay position never stops: that
-- header is taken off. writer_delay_ms: wal_writer_delay, since an
-- asynchronous commit is flushed at the latest three of those later.
WITH position AS (
    SELECT pg_catalog.pg_current_wal_insert_lsn() AS lsn,
           pg_catalog.pg_wal_lsn_diff(pg_catalog.pg_current_wal_insert_lsn(), '0/0') AS bytes
), sizes AS (
    SELECT (SELECT s.setting::numeric FROM pg_catalog.pg_settings AS s
             WHERE s.name = 'wal_block_size') AS page,
           (SELECT s.setting::numeric FROM pg_catalog.pg_settings AS s
             WHERE s.name = 'wal_segment_size') AS segment
)
-- 40 and 24 bytes: the long header that starts a segment, the short one of other pages.
SELECT (CASE WHEN p.bytes % z.segment = 40 THEN p.lsn - 40
             WHEN p.bytes % z.page = 24 THEN p.lsn - 24
             ELSE p.lsn END)::text AS lsn,
       (SELECT s.setting::integer FROM pg_catalog.pg_settings AS s
         WHERE s.name = 'wal_writer_delay') AS writer_delay_ms
FROM position AS p, sizes AS z
