-- source: PostgreSQL 15 docs, 13.3: CREATE TRIGGER takes SHARE ROW EXCLUSIVE for a moment, nothing to scan
-- expect: nothing
-- promise: catalog-only accounts
-- promise: reads continue on accounts

CREATE TRIGGER accounts_touch BEFORE UPDATE ON accounts
    FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
