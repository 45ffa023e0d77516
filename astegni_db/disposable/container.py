"""Throwaway servers in Docker containers, through testcontainers.

Image: $ASTEGNI_DB_TEST_IMAGE, else ``postgres:16`` if it is already present,
else the image ``.ci/container-image.sh`` builds without a registry
(``astegni-db/postgres:15``) if present, else ``postgres:16`` (pulled).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any

from astegni_db.disposable.server import BackendUnavailable, Server

OFFICIAL_IMAGE = "postgres:16"
LOCAL_IMAGE = "astegni-db/postgres:15"
IMAGE_ENV = "ASTEGNI_DB_TEST_IMAGE"
# Same reasoning as the local backend: durability is wasted on a throwaway server.
SPEED_FLAGS = ("-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off")


def _client() -> Any:
    import docker

    return docker.from_env(timeout=5)


def engine_answers() -> bool:
    """True when a Docker engine responds (without pulling or starting anything)."""
    try:
        return bool(_client().ping())
    except Exception:
        return False


def image_present(name: str) -> bool:
    try:
        _client().images.get(name)
    except Exception:
        return False
    return True


def default_image() -> str:
    configured = os.environ.get(IMAGE_ENV)
    if configured:
        return configured
    for candidate in (OFFICIAL_IMAGE, LOCAL_IMAGE):
        if image_present(candidate):
            return candidate
    return OFFICIAL_IMAGE


@contextlib.contextmanager
def container_server(image: str | None = None) -> Iterator[Server]:
    """A PostgreSQL container on a published port; removed when the block exits."""
    # Ryuk (testcontainers' reaper) is another image to pull; we remove our own container.
    os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")
    if not engine_answers():
        raise BackendUnavailable(
            "backend 'container' needs a running Docker engine (see .ci/container-image.sh)"
        )
    try:
        from testcontainers.community.postgres import PostgresContainer
    except ImportError:  # testcontainers < 4.9 only has the older module
        from testcontainers.postgres import PostgresContainer

    chosen = image or default_image()
    container = (
        PostgresContainer(chosen, driver=None)
        .with_command(" ".join(SPEED_FLAGS))
        # Understood by the official image and ours: no fsync of the fresh cluster.
        .with_env("POSTGRES_INITDB_ARGS", "--no-sync")
    )
    try:
        container.start()
    except Exception as exc:
        with contextlib.suppress(Exception):
            container.stop()
        raise BackendUnavailable(
            f"container {chosen} did not start: {str(exc).splitlines()[0] if str(exc) else exc!r}"
        ) from exc
    from astegni_db.disposable.reaper import reaper

    container_id = container.get_wrapped_container().id
    with reaper(container=container_id):
        try:
            yield Server(
                url=container.get_connection_url(), backend="container", resource=container_id
            )
        finally:
            container.stop()
