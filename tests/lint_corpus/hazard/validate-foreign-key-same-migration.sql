-- source: PostgreSQL 15 docs, ALTER TABLE, VALIDATE CONSTRAINT of a foreign key added NOT VALID in the same transaction
-- expect: AD103
-- locks: refunds SHARE ROW EXCLUSIVE; orders SHARE ROW EXCLUSIVE

ALTER TABLE refunds ADD CONSTRAINT refunds_order_fk FOREIGN KEY (order_id) REFERENCES orders (id) NOT VALID;
ALTER TABLE refunds VALIDATE CONSTRAINT refunds_order_fk;
