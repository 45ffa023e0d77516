-- Roll back 0003: nothing to do, on purpose.
--
-- 0003 only turns unique indexes into the constraints every other state
-- already had; it keeps no record of where it did so. Dropping the five
-- constraints would drop their indexes, and with them uniqueness guarantees
-- the SQL file, the models and production all had before astegni-db. What it
-- left is the shape 0001 and 0002 assume; no row depends on the difference.
--
-- So the rollback is recorded and does nothing (one statement that reads
-- nothing, so stock yoyo has a step to run too), and applying 0003 again is a
-- no-op.

SELECT 1;
