-- GET /api/tutor/schedules (the schedule panel): a tutor's teaching schedules,
-- newest first. tutor_id here is a users.id, not a tutor_profiles.id.
SELECT id, tutor_id, title, description, subject, subject_type, grade_level, year,
       schedule_type, months, days, specific_dates, start_time, end_time, notes,
       status, alarm_enabled, alarm_before_minutes, notification_browser,
       notification_sound, created_at, updated_at
  FROM tutor_teaching_schedules
 WHERE tutor_id = %(tutor_id)s
 ORDER BY created_at DESC
