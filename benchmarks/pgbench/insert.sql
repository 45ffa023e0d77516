\set tutor random(1, 1000)
\set student random(1, 10000)
INSERT INTO tutoring_sessions (tutor_id, student_id, subject, session_date, start_time)
VALUES (:tutor, :student, 'Mathematics', current_date, '10:00');
