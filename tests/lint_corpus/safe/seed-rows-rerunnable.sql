-- source: rows a non-transactional migration may insert twice: ON CONFLICT keeps the re-run harmless
-- expect: nothing
-- promise: writes continue on tags
-- transactional: false

INSERT INTO tags (id, name) VALUES (1, 'vip'), (2, 'new') ON CONFLICT (id) DO NOTHING;
