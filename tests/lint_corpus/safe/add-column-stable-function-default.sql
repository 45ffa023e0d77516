-- source: outside case: a plpgsql function declared STABLE (setup.sql) is evaluated once
-- expect: nothing
-- promise: catalog-only accounts

ALTER TABLE accounts ADD COLUMN region text DEFAULT current_region();
