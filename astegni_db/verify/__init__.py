"""Does this live database have the schema the spec describes, and if not, what differs?

- ``run.verify``: the live catalog against the spec, the documented value sets
  and the application's queries, as a VerifyReport (it owns the exit code);
- ``inspect``: the live schema of the spec's tables, written in the spec's format;
- ``catalog`` reads, ``compare`` compares (one function per object kind),
  ``copies`` finds tables that look like legacy copies of spec tables,
  ``findings``/``report`` hold and render the result. Catalog SQL: astegni_db/sql/;
- ``changes``: what a migrate changed between two catalog reads, with consequences.

Nothing is imported here, so reading one module does not load the driver.
"""
