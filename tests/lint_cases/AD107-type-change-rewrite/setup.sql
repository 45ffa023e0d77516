CREATE TABLE invoices (
    id serial PRIMARY KEY,
    reference varchar(20) NOT NULL,
    amount integer NOT NULL
);
