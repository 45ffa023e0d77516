-- source: outside case: transaction control inside a migration file
-- expect: AD116, AD116

SAVEPOINT before_comment;
COMMENT ON TABLE tags IS 'Labels for accounts';
RELEASE SAVEPOINT before_comment;
