-- GET /api/tutor/sessions/{session_id}: one session, only if it is the tutor's
-- (tutor_id is a tutor_profiles.id).
SELECT id, enrollment_id, tutor_id, student_id, subject, topic,
       session_date, start_time, end_time, duration, mode, location, meeting_link,
       objectives, topics_covered, materials_used, homework_assigned, status,
       student_attended, tutor_attended, tutor_notes, student_feedback,
       student_rating, amount, payment_status, created_at, updated_at,
       session_frequency, is_recurring, recurring_pattern, package_duration, grade_level
  FROM tutoring_sessions
 WHERE id = %(session_id)s
   AND tutor_id = %(tutor_id)s
