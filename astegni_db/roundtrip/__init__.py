"""`astegni-db check`: the migrations' whole round trip on a throwaway PostgreSQL server.

Migrate, verify, roll everything back, prove nothing of ours remains, migrate
and verify again; one CheckReport (it owns the exit code), rendered as text,
JSON or JUnit. ``run`` drives the phases, ``objects`` snapshots the schema,
``fixtures`` loads a starting point (a schema dump, a legacy state).
"""
