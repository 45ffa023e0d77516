"""Apply a migrations directory to a database, through astegni-db's own engine when present."""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from astegni_db.errors import ConfigError


def apply_migrations(database_url: str, migrations_dir: Path) -> None:
    if not migrations_dir.is_dir():
        raise ConfigError(f"migrations directory not found: {migrations_dir}")
    if importlib.util.find_spec("astegni_db.api") is not None:
        api = importlib.import_module("astegni_db.api")
        migrate = getattr(api, "migrate", None)
        if migrate is not None:
            migrate(database_url, migrations_dir)
            return
    _apply_with_yoyo(database_url, migrations_dir)


def _apply_with_yoyo(database_url: str, migrations_dir: Path) -> None:
    # Fallback until astegni_db.api.migrate exists: yoyo alone, no checksums or retries.
    from yoyo import get_backend, read_migrations

    yoyo_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    migrations = read_migrations(str(migrations_dir))
    with get_backend(yoyo_url) as backend, backend.lock():
        backend.apply_migrations(backend.to_apply(migrations))
