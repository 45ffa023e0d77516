\set id random(1, :maxid)
UPDATE tutoring_sessions SET status = 'completed', updated_at = now() WHERE id = :id;
