-- source: PostgreSQL 15 docs, ALTER TABLE, ADD table_constraint NOT VALID: the scan is skipped
-- expect: nothing
-- promise: catalog-only refunds
-- promise: catalog-only orders
-- promise: reads continue on orders

ALTER TABLE refunds
    ADD CONSTRAINT refunds_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
