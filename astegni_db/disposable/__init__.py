"""Disposable PostgreSQL for tests and development: a server, a migrated template, clones.

``start_server()`` picks a backend and yields a :class:`Server`;
``DisposableDatabases(server, migrate).migrated(Path("migrations"))`` yields
the URL of a clone (CREATE DATABASE ... TEMPLATE) of a template migrated once
by ``migrate`` (the pytest plugin passes astegni-db's own).
"""

from astegni_db.disposable.backends import BACKENDS, choose_backend, start_server
from astegni_db.disposable.databases import (
    DisposableDatabases,
    create_database,
    database_exists,
    drop_database,
    temporary_database,
)
from astegni_db.disposable.server import BackendUnavailable, Server

__all__ = [
    "BACKENDS",
    "BackendUnavailable",
    "DisposableDatabases",
    "Server",
    "choose_backend",
    "create_database",
    "database_exists",
    "drop_database",
    "start_server",
    "temporary_database",
]
