"""astegni-db: tracked PostgreSQL migrations and schema verification for Astegni."""

__version__ = "0.1.0"
