-- Bulk data for the load benchmarks: 1,000 tutors, 10,000 students and
-- {rows} tutoring_sessions spread over them, dated over three years.
-- Foreign-key triggers are skipped for the load (session_replication_role)
-- because every key is generated in range; the constraints stay in place for
-- the benchmark's own INSERTs.
SET session_replication_role = replica;

INSERT INTO users (id) SELECT g FROM generate_series(1, 11000) AS g;
INSERT INTO tutor_profiles (id, user_id) SELECT g, g FROM generate_series(1, 1000) AS g;
INSERT INTO student_profiles (id, user_id) SELECT g, 1000 + g FROM generate_series(1, 10000) AS g;

INSERT INTO tutoring_sessions (
    id, tutor_id, student_id, subject, topic, session_date, start_time, end_time,
    duration, mode, status, amount, payment_status, created_at, updated_at
)
SELECT g,
       1 + g % 1000,
       1 + (g * 7) % 10000,
       (ARRAY['Mathematics', 'Physics', 'Chemistry', 'English', 'Amharic'])[1 + g % 5],
       'Topic ' || (g % 97),
       date '2023-01-01' + (g % 1095),
       time '08:00' + make_interval(mins => 30 * (g % 20)),
       time '09:00' + make_interval(mins => 30 * (g % 20)),
       60,
       CASE WHEN g % 3 = 0 THEN 'in-person' ELSE 'online' END,
       (ARRAY['scheduled', 'completed', 'cancelled', 'missed'])[1 + g % 4],
       150 + g % 350,
       CASE WHEN g % 4 = 1 THEN 'paid' ELSE 'pending' END,
       timestamp '2023-01-01' + make_interval(secs => g * 17),
       timestamp '2023-01-01' + make_interval(secs => g * 17)
FROM generate_series(1, {rows}) AS g;

RESET session_replication_role;

SELECT setval(pg_get_serial_sequence('users', 'id'), 11000);
SELECT setval(pg_get_serial_sequence('tutor_profiles', 'id'), 1000);
SELECT setval(pg_get_serial_sequence('student_profiles', 'id'), 10000);
SELECT setval(pg_get_serial_sequence('tutoring_sessions', 'id'), {rows});

-- The application's "a tutor's sessions, newest first" read needs this index;
-- without it every such read would scan the whole table.
CREATE INDEX bench_sessions_tutor_date ON tutoring_sessions (tutor_id, session_date);
