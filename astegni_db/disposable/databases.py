"""Create, clone and drop databases on a disposable server.

Cloning a migrated template (CREATE DATABASE ... TEMPLATE) costs tens of
milliseconds; migrating every test's database from scratch costs seconds.
The next clone is made, and the last one dropped, in a background thread
while a test runs, so a test rarely waits for either.

What "migrated" means is the caller's: :class:`DisposableDatabases` is given
the function that migrates a template (the pytest plugin passes astegni-db's
own migrate), so this layer never calls up into the verbs.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
import secrets
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from astegni_db import db
from astegni_db.disposable.server import Server
from astegni_db.settings import DatabaseTarget

# Migrates the (empty) database at the target with the migrations in the directory.
MigrateTemplate = Callable[[DatabaseTarget, Path], object]

_counter = itertools.count()
_MAX_IDENTIFIER = 63


def unique_name(purpose: str) -> str:
    """A database name no other test, xdist worker or concurrent session will pick."""
    worker = re.sub(r"[^a-z0-9]", "", os.environ.get("PYTEST_XDIST_WORKER", "").lower()) or "main"
    name = f"astegni_{purpose}_{worker}_{os.getpid()}_{secrets.token_hex(3)}_{next(_counter)}"
    return name[:_MAX_IDENTIFIER]


@contextlib.contextmanager
def _admin_session(server: Server, doing: str) -> Iterator[Any]:
    """Autocommit (CREATE/DROP DATABASE cannot run in a transaction block); driver errors
    become one-line AstegniErrors naming the server, its password redacted."""
    import psycopg

    target = server.target()
    with db.connect(target, purpose="disposable databases") as conn:
        try:
            yield conn
        except psycopg.Error as exc:
            raise db.translate(exc, target, doing, migrating=False) from None


def create_database(server: Server, name: str, *, template: str | None = None) -> None:
    from psycopg import sql

    query = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template is not None:
        query = sql.SQL("{} TEMPLATE {}").format(query, sql.Identifier(template))
    with _admin_session(server, f"creating database {name}") as conn:
        conn.execute(query)


def database_exists(server: Server, name: str) -> bool:
    with _admin_session(server, f"looking for database {name}") as conn:
        found = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return found is not None


# A plain DROP waits up to 5 s for other backends to leave (PostgreSQL's own
# bound), so two rounds are plenty for an autovacuum worker to step aside.
_DROP_ATTEMPTS = 2


def drop_database(server: Server, name: str) -> None:
    """Drop ``name`` even if a test left connections open to it."""
    import psycopg
    from psycopg import sql

    plain = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
    force = sql.SQL("{} WITH (FORCE)").format(plain)
    with _admin_session(server, f"dropping database {name}") as conn:
        if conn.info.server_version >= 130000:
            for _ in range(_DROP_ATTEMPTS):
                try:
                    conn.execute(force)
                    return
                except psycopg.errors.InsufficientPrivilege:
                    # FORCE must terminate every backend in the database, and a role
                    # that is not superuser may not terminate an autovacuum worker
                    # (a url server's role, on a database it just used). A plain DROP
                    # makes autovacuum step aside; a client still connected keeps
                    # it "in use", and the next round tries again.
                    with contextlib.suppress(psycopg.errors.ObjectInUse):
                        conn.execute(plain)
                        return
            conn.execute(force)  # still refused: its error says who holds the database
            return
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@contextlib.contextmanager
def temporary_database(
    server: Server, *, template: str | None = None, purpose: str = "test"
) -> Iterator[str]:
    """Yield the URL of a new database (a clone of ``template`` if given); drop it after."""
    name = unique_name(purpose)
    create_database(server, name, template=template)
    try:
        yield server.url_for(name)
    finally:
        drop_database(server, name)


class _ClonePool:
    """One clone of ``template`` kept ready, made (and used ones dropped) off the test's path.

    A single worker thread: creates and drops run one at a time, so two
    CREATE DATABASE never copy the same template at once.
    """

    def __init__(self, server: Server, template: str) -> None:
        self.server, self.template = server, template
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="astegni-clones")
        self._ready: Future[str] = self._worker.submit(self._create)
        self._drops: list[tuple[str, Future[None]]] = []

    def _create(self) -> str:
        name = unique_name("test")
        create_database(self.server, name, template=self.template)
        return name

    def take(self) -> str:
        ready = self._ready
        self._ready = self._worker.submit(self._create)
        return ready.result()  # a failed CREATE surfaces in the test that asked

    def drop_later(self, name: str) -> None:
        self._drops.append((name, self._worker.submit(drop_database, self.server, name)))

    def close(self) -> None:
        self._worker.shutdown(wait=True)
        leftovers = [name for name, done in self._drops if done.exception() is not None]
        if self._ready.exception() is None:
            leftovers.append(self._ready.result())
        for name in leftovers:  # a background drop that failed gets one more, loud, try
            drop_database(self.server, name)


class DisposableDatabases:
    """Per-session bookkeeping: one migrated template per migrations directory, clones per test."""

    def __init__(self, server: Server, migrate: MigrateTemplate) -> None:
        self.server = server
        self._migrate = migrate
        self._templates: dict[Path, str] = {}
        self._pools: dict[str, _ClonePool] = {}
        # A migration that fails once fails for every test: report it, don't retry it per test.
        self._failures: dict[Path, BaseException] = {}

    def template_for(self, migrations_dir: Path) -> str:
        """Name of a database with every migration in ``migrations_dir`` applied (built once)."""
        key = migrations_dir.resolve()
        if key in self._failures:
            raise self._failures[key]
        if key not in self._templates:
            name = unique_name("tmpl")
            create_database(self.server, name)
            try:
                self._migrate(self.server.target(name), key)
            except Exception as exc:
                self._failures[key] = exc
                drop_database(self.server, name)
                raise
            except BaseException:
                drop_database(self.server, name)
                raise
            self._templates[key] = name
        return self._templates[key]

    def empty(self) -> contextlib.AbstractContextManager[str]:
        return temporary_database(self.server, purpose="empty")

    @contextlib.contextmanager
    def migrated(self, migrations_dir: Path) -> Iterator[str]:
        """A fresh clone of the migrated template; dropped (in the background) afterwards."""
        template = self.template_for(migrations_dir)
        pool = self._pools.get(template)
        if pool is None:
            pool = self._pools[template] = _ClonePool(self.server, template)
        name = pool.take()
        try:
            yield self.server.url_for(name)
        finally:
            pool.drop_later(name)

    def close(self) -> None:
        while self._pools:
            _, pool = self._pools.popitem()
            pool.close()
        while self._templates:
            _, name = self._templates.popitem()
            drop_database(self.server, name)
