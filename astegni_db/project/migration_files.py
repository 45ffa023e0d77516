"""Migration files on disk: which exist, what they say, and their content checksums.

The one reader of the migrations directory, for migrate, rollback, lint,
check and `new`: the same files count as migrations everywhere, and a file
that is too large, binary or not UTF-8 is refused the same way everywhere.

yoyo identifies an applied migration by a hash of its *file name*, so an
edited file goes unnoticed. We add a checksum of the content, with line
endings normalised so a CRLF checkout does not look like an edit.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from astegni_db.errors import ConfigError

# Larger than any hand-written migration; a file this big is almost certainly
# a data dump dropped into the wrong folder.
MAX_MIGRATION_BYTES = 8 * 1024 * 1024
ROLLBACK_SUFFIX = ".rollback.sql"
MIGRATION_SUFFIXES = frozenset({".sql", ".py"})
# yoyo's own editor temp files are not migrations.
_YOYO_TEMP_PREFIX = "_tmp_yoyonew"
_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_BOM = "\ufeff"
# yoyo reads directives from the comment lines before the first SQL line.
_LEADING_LINE = re.compile(r"^(\s*|\s*--.*)$")
_TRANSACTIONAL = re.compile(r"^\s*--\s*transactional\s*:\s*(\S*)", re.I)


@dataclass(frozen=True)
class MigrationFile:
    """A migration as read once from disk: what is shown, checksummed and run is this text."""

    id: str
    path: Path
    checksum: str
    text: str
    rollback_path: Path | None
    rollback_text: str | None = None

    @property
    def is_sql(self) -> bool:
        return self.path.suffix == ".sql"

    @property
    def sql(self) -> str:
        """The text as the server must receive it (it rejects a UTF-8 byte-order mark)."""
        return self.text.removeprefix(_BOM)

    @property
    def rollback_sql(self) -> str | None:
        return None if self.rollback_text is None else self.rollback_text.removeprefix(_BOM)

    @property
    def transactional(self) -> bool:
        """False for a SQL migration that says ``-- transactional: false``, as yoyo reads it."""
        return not self.is_sql or read_directives(self.sql)[0]


def read_directives(text: str) -> tuple[bool, int]:
    """yoyo's ``-- transactional: false`` and the length of the leading comment block."""
    transactional = True
    leading = 0
    for number, line in enumerate(text.replace("\r\n", "\n").split("\n"), start=1):
        if not _LEADING_LINE.match(line):
            break
        leading = number
        match = _TRANSACTIONAL.match(line)
        if match:
            transactional = match.group(1).lower() != "false"
    return transactional, leading


def normalised_checksum(raw: bytes) -> str:
    """sha256 of the text with CRLF/CR turned into LF and any UTF-8 BOM dropped."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    raw = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return hashlib.sha256(raw).hexdigest()


def read_text(path: Path) -> tuple[bytes, str]:
    """The bytes and text of a migration-sized UTF-8 file; ConfigError for anything else."""
    try:
        size = path.stat().st_size
        if size > MAX_MIGRATION_BYTES:
            raise ConfigError(
                f"{path}: {size:,} bytes is too large for a migration "
                f"(limit {MAX_MIGRATION_BYTES:,}); load data with COPY from a separate file"
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
    if b"\x00" in raw:
        raise ConfigError(f"{path}: binary file in the migrations directory (contains NUL bytes)")
    try:
        return raw, raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not valid UTF-8 (byte {exc.start})") from None


def is_rollback_file(path: Path) -> bool:
    return path.name.endswith(ROLLBACK_SUFFIX)


def rollback_path_for(path: Path) -> Path:
    return path.with_name(path.stem + ROLLBACK_SUFFIX)


def read_migration_file(path: Path) -> MigrationFile:
    """One migration file (and its rollback file, when there is one)."""
    migration_id = path.stem
    if not _ID_PATTERN.match(migration_id):
        raise ConfigError(f"{path}: migration names may use letters, digits, '_', '-', '.'")
    raw, text = read_text(path)
    rollback = rollback_path_for(path)
    rollback_text = read_text(rollback)[1] if rollback.is_file() else None
    return MigrationFile(
        id=migration_id,
        path=path,
        checksum=normalised_checksum(raw),
        text=text,
        rollback_path=rollback if rollback_text is not None else None,
        rollback_text=rollback_text,
    )


def _is_migration(path: Path) -> bool:
    if not path.is_file() or path.suffix not in MIGRATION_SUFFIXES:
        return False
    if is_rollback_file(path) or path.name.startswith(_YOYO_TEMP_PREFIX):
        return False
    if path.name.startswith("post-apply"):
        raise ConfigError(
            f"{path}: post-apply hooks are not supported (they run on every migrate "
            "and are not tracked); write an idempotent migration instead"
        )
    return True


def load_migration_files(directory: Path) -> list[MigrationFile]:
    """Every migration in ``directory``, in the order yoyo applies them (by id)."""
    if not directory.is_dir():
        raise ConfigError(f"migrations directory not found: {directory}")
    return [read_migration_file(p) for p in sorted(directory.iterdir()) if _is_migration(p)]


def split_statements(text: str) -> Iterator[tuple[str, int]]:
    """(statement, line of its first character) as yoyo splits a SQL migration's ``text``."""
    import sqlparse  # what yoyo splits with; imported only when SQL is split

    position, line = 0, 1
    for statement in sqlparse.split(text):
        if not statement.strip():
            continue
        found = text.find(statement, position)
        if found < 0:  # sqlparse normalised something; fall back to the last known line
            yield statement, line
            continue
        line += text.count("\n", position, found)
        position = found
        yield statement, line
