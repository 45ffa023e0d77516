-- source: PostgreSQL 15 docs, ALTER TABLE, ADD table_constraint: a foreign key takes SHARE ROW EXCLUSIVE on the referenced table too, and scans without NOT VALID
-- expect: AD102
-- locks: refunds SHARE ROW EXCLUSIVE; orders SHARE ROW EXCLUSIVE

ALTER TABLE refunds ADD CONSTRAINT refunds_order_fk FOREIGN KEY (order_id) REFERENCES orders (id);
