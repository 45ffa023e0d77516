-- Only the rows meant to go, under ROW EXCLUSIVE: reads and writes go on.
DELETE FROM session_import_rows WHERE imported_at < now() - interval '30 days';
