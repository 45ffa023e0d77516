-- GET /api/tutor/sessions/stats/summary for one tutor (a tutor_profiles.id).
-- total_hours: duration is in minutes. Sums and the average are NULL when the
-- tutor has no sessions (or none with an amount / a rating).
SELECT count(*) AS total_sessions,
       count(*) FILTER (WHERE status = 'completed') AS completed_sessions,
       count(*) FILTER (WHERE status = 'scheduled') AS scheduled_sessions,
       count(*) FILTER (WHERE status = 'cancelled') AS cancelled_sessions,
       sum(duration) / 60.0 AS total_hours,
       sum(amount) AS total_earnings,
       avg(student_rating) AS average_rating
  FROM tutoring_sessions
 WHERE tutor_id = %(tutor_id)s
