-- source: PostgreSQL 15 docs, ALTER DOMAIN, SET NOT NULL: "will fail if the named domain or any derived domain is used within a column ... that contains a null": every such column is checked, SHARE on each table (measured)
-- expect: AD117
-- locks: refunds SHARE

ALTER DOMAIN money_amount SET NOT NULL;
