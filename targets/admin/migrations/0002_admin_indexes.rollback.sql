-- Roll back 0002: nothing to do, on purpose.
--
-- 0002 changes a database only where it differs from the one shape, and keeps
-- no record of what it changed: it built the idx_* indexes a database the
-- models made lacked (the SQL file's databases had them before 0002), and
-- dropped the models' redundant ix_<table>_id (which the other databases never
-- had). From the catalog a rollback cannot tell which was which, so dropping
-- the indexes would strip legacy databases of their own, and recreating the
-- ix_ ones would give every database indexes it never had. What 0002 left is
-- the shape 0001 and 0003 assume; no row depends on any of it.
--
-- So the rollback is recorded and does nothing (one statement that reads
-- nothing, so stock yoyo has a step to run too), and applying 0002 again is a
-- no-op.

SELECT 1;
