-- source: PostgreSQL 15 docs, 13.3: DELETE takes ROW EXCLUSIVE, which other writers and readers share (what AD118 suggests instead of TRUNCATE)
-- expect: nothing
-- promise: writes continue on audit_log
-- promise: reads continue on audit_log

DELETE FROM audit_log
 WHERE entry_id IN (SELECT entry_id FROM audit_log WHERE entry_id <= 100 ORDER BY entry_id LIMIT 50);
