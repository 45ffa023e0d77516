ALTER TABLE tutoring_sessions RENAME COLUMN grade_level TO student_grade;
