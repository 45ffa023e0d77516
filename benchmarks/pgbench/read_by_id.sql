\set id random(1, :maxid)
SELECT id, tutor_id, student_id, subject, session_date, start_time, status, payment_status
  FROM tutoring_sessions WHERE id = :id;
