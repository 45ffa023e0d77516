\set tutor random(1, 1000)
SELECT id, session_date, start_time, status
  FROM tutoring_sessions WHERE tutor_id = :tutor
 ORDER BY session_date DESC LIMIT 10;
