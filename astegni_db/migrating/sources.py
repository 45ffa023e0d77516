"""Migration files on disk: which exist, what they say, and their content checksums.

yoyo identifies an applied migration by a hash of its *file name*, so an
edited file goes unnoticed. We add a checksum of the content, with line
endings normalised so a CRLF checkout does not look like an edit.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from astegni_db.errors import ConfigError

# Larger than any hand-written migration; a file this big is almost certainly
# a data dump dropped into the wrong folder.
MAX_MIGRATION_BYTES = 8 * 1024 * 1024
ROLLBACK_SUFFIX = ".rollback.sql"
# yoyo's own editor temp files and post-apply hooks are not migrations.
_YOYO_TEMP_PREFIX = "_tmp_yoyonew"
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


@dataclass(frozen=True)
class MigrationFile:
    id: str
    path: Path
    checksum: str
    text: str
    rollback_path: Path | None

    @property
    def is_sql(self) -> bool:
        return self.path.suffix == ".sql"


def normalised_checksum(raw: bytes) -> str:
    """sha256 of the text with CRLF/CR turned into LF and any UTF-8 BOM dropped."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return hashlib.sha256(raw).hexdigest()


def _read_text(path: Path) -> tuple[bytes, str]:
    size = path.stat().st_size
    if size > MAX_MIGRATION_BYTES:
        raise ConfigError(
            f"{path}: {size:,} bytes is too large for a migration "
            f"(limit {MAX_MIGRATION_BYTES:,}); load data with COPY from a separate file"
        )
    raw = path.read_bytes()
    if b"\x00" in raw:
        raise ConfigError(f"{path}: binary file in the migrations directory (contains NUL bytes)")
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {exc.start})") from None


def load_migration_files(directory: Path) -> list[MigrationFile]:
    """Every migration in ``directory``, in the order yoyo applies them (by id)."""
    if not directory.is_dir():
        raise ConfigError(f"migrations directory not found: {directory}")
    found: list[MigrationFile] = []
    for path in sorted(directory.iterdir()):
        name = path.name
        if not path.is_file() or path.suffix not in {".sql", ".py"}:
            continue
        if name.endswith(ROLLBACK_SUFFIX) or name.startswith(_YOYO_TEMP_PREFIX):
            continue
        if name.startswith("post-apply"):
            raise ConfigError(
                f"{path}: post-apply hooks are not supported (they run on every migrate "
                "and are not tracked); write an idempotent migration instead"
            )
        migration_id = path.stem
        if not _ID_PATTERN.match(migration_id):
            raise ConfigError(f"{path}: migration names may use letters, digits, '_', '-', '.'")
        raw, text = _read_text(path)
        rollback = path.with_name(migration_id + ROLLBACK_SUFFIX)
        if rollback.exists():
            _read_text(rollback)
        found.append(
            MigrationFile(
                id=migration_id,
                path=path,
                checksum=normalised_checksum(raw),
                text=text,
                rollback_path=rollback if rollback.exists() else None,
            )
        )
    return found
