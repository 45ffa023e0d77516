-- source: outside case: yoyo already runs the file in a transaction; COMMIT ends it early and the rest runs outside it
-- expect: AD116, AD116

BEGIN;
COMMENT ON TABLE tags IS 'Labels for accounts';
COMMIT;
