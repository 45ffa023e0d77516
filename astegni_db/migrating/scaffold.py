"""`astegni-db new`: the next numbered migration and its rollback, ready to edit."""

from __future__ import annotations

import re
from pathlib import Path

from astegni_db.errors import ConfigError
from astegni_db.project.migration_files import ROLLBACK_SUFFIX, load_migration_files

_NUMBER = re.compile(r"^(\d+)_")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_]*$")

FORWARD_TEMPLATE = """\
-- {description}
--
-- astegni-db runs this file in one transaction with a short lock_timeout and
-- retries it on lock timeouts, so it must be safe to run again from the start.
-- On a busy table: add columns nullable or with a constant default; add CHECK
-- and FOREIGN KEY constraints NOT VALID and VALIDATE them in a later migration;
-- CREATE INDEX CONCURRENTLY IF NOT EXISTS needs its own migration with the
-- directive "-- transactional: false"; its statements then commit one by one
-- and must be re-runnable (README, "What is atomic"; lint AD112).
{depends}
"""

ROLLBACK_TEMPLATE = """\
-- Undo {migration_id}. Refuse (RAISE EXCEPTION) rather than drop data.
"""


def valid_slug(name: str) -> str:
    """``name`` as a migration id's name part, or a ConfigError saying what is allowed."""
    slug = re.sub(r"[\s\-]+", "_", name.strip().lower())
    if not _NAME.match(slug):
        raise ConfigError(
            f"invalid migration name {name!r}: use letters, digits and underscores, "
            "e.g. add_session_location_index"
        )
    return slug


def next_migration_number(directory: Path) -> tuple[int, str | None]:
    """The next free number in ``directory`` and the id the new migration depends on."""
    existing = [m.id for m in load_migration_files(directory)] if directory.is_dir() else []
    numbers = [int(m.group(1)) for stem in existing if (m := _NUMBER.match(stem))]
    return max(numbers, default=0) + 1, (existing[-1] if existing else None)


def new_migration(directory: Path, name: str) -> tuple[Path, Path]:
    slug = valid_slug(name)
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(f"cannot create the migrations directory {directory}: {exc}") from None
    number, last_id = next_migration_number(directory)
    migration_id = f"{number:04d}_{slug}"
    forward = directory / f"{migration_id}.sql"
    back = directory / f"{migration_id}{ROLLBACK_SUFFIX}"
    if forward.exists() or back.exists():
        raise ConfigError(f"{forward} already exists")
    depends = f"-- depends: {last_id}" if last_id else ""
    forward.write_text(
        FORWARD_TEMPLATE.format(description=slug.replace("_", " ").capitalize(), depends=depends)
    )
    back.write_text(ROLLBACK_TEMPLATE.format(migration_id=migration_id))
    return forward, back
