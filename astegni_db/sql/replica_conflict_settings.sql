-- A hot standby's settings that decide what happens when replaying a lock
-- (an ACCESS EXCLUSIVE taken by DDL on the primary) meets a query holding
-- that table: max_standby_streaming_delay (-1: replay waits for the query,
-- however long; otherwise the standby cancels the query after that long)
-- and hot_standby_feedback (keeps the primary's vacuum from removing rows the
-- standby's queries still see: the other common cause of cancelled queries).
SELECT pg_catalog.pg_is_in_recovery() AS in_recovery,
       current_setting('max_standby_streaming_delay') AS streaming_delay,
       (SELECT s.setting::integer FROM pg_catalog.pg_settings AS s
         WHERE s.name = 'max_standby_streaming_delay') AS streaming_delay_ms,
       current_setting('hot_standby_feedback')::boolean AS hot_standby_feedback
