-- source: PostgreSQL 15 docs, CLUSTER: without a table name, reclusters every previously clustered table (one transaction each; refused in a transaction block)
-- expect: AD117
-- transactional: false

CLUSTER;
