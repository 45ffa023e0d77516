-- source: PostgreSQL 15 docs, DROP TABLE: queries/orders.sql reads refunds
-- expect: AD109

DROP TABLE refunds;
