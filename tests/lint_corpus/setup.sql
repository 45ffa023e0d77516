-- The schema every corpus case starts from: it plays the earlier migrations
-- (the lint reads it first, so its tables are "existing" and their column
-- types, checks and functions are known) and it is what the server runs
-- before each case. Every table holds rows, so a scan or a rewrite is real.

-- Where old tables are moved to.
CREATE SCHEMA archive;

CREATE TABLE accounts (
    id bigint PRIMARY KEY,
    email varchar(100) NOT NULL,
    name varchar(50) NOT NULL,
    nickname varchar(30),
    balance numeric(12,2) NOT NULL DEFAULT 0,
    note text,
    legacy_code text,
    created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO accounts (id, email, name, balance)
SELECT g, 'user' || g || '@example.com', 'user ' || g, g FROM generate_series(1, 500) AS g;
CREATE INDEX accounts_name_idx ON accounts (name);
CREATE UNIQUE INDEX accounts_email_uidx ON accounts (email);

CREATE TABLE orders (
    id bigint PRIMARY KEY,
    account_id bigint,
    amount numeric(12,2),
    quantity integer,
    status text,
    placed_at timestamp
);
INSERT INTO orders (id, account_id, amount, quantity, status, placed_at)
SELECT g, g % 500 + 1, g, 1, 'placed', '2024-01-01'::timestamp + g * interval '1 hour'
  FROM generate_series(1, 2000) AS g;
CREATE INDEX orders_account_idx ON orders (account_id);
CREATE INDEX orders_status_idx ON orders (status);
-- Added NOT VALID by an earlier migration: a case may VALIDATE them.
ALTER TABLE orders ADD CONSTRAINT orders_amount_positive CHECK (amount >= 0) NOT VALID;
ALTER TABLE orders
    ADD CONSTRAINT orders_account_fk FOREIGN KEY (account_id) REFERENCES accounts (id) NOT VALID;
-- Validated: SET NOT NULL on status can use it instead of scanning.
ALTER TABLE orders ADD CONSTRAINT orders_status_not_null CHECK (status IS NOT NULL);

-- No primary key yet, and a unique index ready for one.
CREATE TABLE audit_log (entry_id bigint NOT NULL, action text, logged_at timestamptz);
INSERT INTO audit_log SELECT g, 'login', now() FROM generate_series(1, 300) AS g;
CREATE UNIQUE INDEX audit_log_entry_uidx ON audit_log (entry_id);

-- Rooms are booked by time range (an EXCLUDE constraint's natural home).
CREATE TABLE bookings (id bigint PRIMARY KEY, room integer NOT NULL, during tsrange NOT NULL);
INSERT INTO bookings
SELECT g, g % 10, tsrange('2024-01-01'::timestamp + g * interval '1 day',
                          '2024-01-01'::timestamp + g * interval '1 day' + interval '1 hour')
  FROM generate_series(1, 100) AS g;

-- Empty: nothing the application has written yet.
CREATE TABLE tags (id bigint PRIMARY KEY, name text);

CREATE TABLE events (id bigint NOT NULL, happened_on date NOT NULL, payload text)
    PARTITION BY RANGE (happened_on);
CREATE TABLE events_2023 PARTITION OF events FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
INSERT INTO events
SELECT g, '2023-01-01'::date + g, 'e' FROM generate_series(1, 700) AS g;

CREATE DOMAIN money_amount AS numeric(12,2);
CREATE TABLE refunds (id bigint PRIMARY KEY, order_id bigint, amount money_amount);
INSERT INTO refunds SELECT g, g, g FROM generate_series(1, 100) AS g;

CREATE MATERIALIZED VIEW account_totals AS
SELECT account_id, sum(amount) AS total FROM orders GROUP BY account_id;
CREATE UNIQUE INDEX account_totals_account_uidx ON account_totals (account_id);

-- A new value on every call (VOLATILE), and one per statement (STABLE).
CREATE FUNCTION new_reference() RETURNS text LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN md5(random()::text || clock_timestamp()::text);
END
$$;
CREATE FUNCTION current_region() RETURNS text LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN coalesce(current_setting('app.region', true), 'eu');
END
$$;

-- Next years' events, loaded apart, to be attached as partitions of events: one
-- bare, one with a validated CHECK that proves its partition bound.
CREATE TABLE events_2025 (id bigint NOT NULL, happened_on date NOT NULL, payload text);
INSERT INTO events_2025 SELECT g, '2025-01-01'::date + g % 365, 'e' FROM generate_series(1, 300) AS g;
CREATE TABLE events_2026 (id bigint NOT NULL, happened_on date NOT NULL, payload text);
INSERT INTO events_2026 SELECT g, '2026-01-01'::date + g % 365, 'e' FROM generate_series(1, 300) AS g;
ALTER TABLE events_2026 ADD CONSTRAINT events_2026_bound
    CHECK (happened_on >= DATE '2026-01-01' AND happened_on < DATE '2027-01-01');
