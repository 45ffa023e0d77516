-- Applied migrations, oldest first, with the content checksum astegni-db
-- recorded (NULL: applied by another tool, such as the stock yoyo CLI).
SELECT m.migration_id, m.applied_at_utc, c.checksum
  FROM _yoyo_migration AS m
  LEFT JOIN _astegni_db_checksum AS c
    ON c.migration_id = m.migration_id
 ORDER BY m.applied_at_utc, m.migration_id;
