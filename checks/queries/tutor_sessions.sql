-- GET /api/tutor/sessions: a tutor's sessions, newest first.
-- tutor_id is a tutor_profiles.id here (not a users.id).
-- status, date_from and date_to are optional: NULL means "no filter".
SELECT id, enrollment_id, tutor_id, student_id, subject, topic,
       session_date, start_time, end_time, duration, mode, location, meeting_link,
       objectives, topics_covered, materials_used, homework_assigned, status,
       student_attended, tutor_attended, tutor_notes, student_feedback,
       student_rating, amount, payment_status, created_at, updated_at,
       session_frequency, is_recurring, recurring_pattern, package_duration, grade_level
  FROM tutoring_sessions
 WHERE tutor_id = %(tutor_id)s
   AND (%(status)s::text IS NULL OR status = %(status)s::text)
   AND (%(date_from)s::date IS NULL OR session_date >= %(date_from)s::date)
   AND (%(date_to)s::date IS NULL OR session_date <= %(date_to)s::date)
 ORDER BY session_date DESC, start_time DESC
