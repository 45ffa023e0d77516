-- Every row is gone, and ACCESS EXCLUSIVE is held until the migration commits.
TRUNCATE session_import_rows;
