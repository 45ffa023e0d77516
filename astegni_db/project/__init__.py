"""What the project on disk says: its migration files, its schema spec, its application queries.

Read from files only: nothing here connects to a database or imports the
driver. Every command that needs one of these reads it through this package,
so the rules for what counts as a migration, a valid spec or a query file are
the same for migrate, lint, verify, check and `new`.
"""
