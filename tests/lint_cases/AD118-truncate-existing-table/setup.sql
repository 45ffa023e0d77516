CREATE TABLE session_import_rows (
    id bigint PRIMARY KEY,
    imported_at timestamptz NOT NULL,
    payload text
);
