-- source: outside case: a plpgsql function declared VOLATILE (setup.sql) as a default rewrites like random()
-- expect: AD101
-- locks: accounts ACCESS EXCLUSIVE

ALTER TABLE accounts ADD COLUMN reference text DEFAULT new_reference();
