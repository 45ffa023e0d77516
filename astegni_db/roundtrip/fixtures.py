r"""Starting points for `astegni-db check` other than an empty database.

- a ``pg_dump --schema-only`` file, loaded statement by statement through
  psycopg, never by psql: a dump is untrusted input, and psql runs whatever
  backslash meta-command a line holds (``\! rm -rf ~`` runs a shell). The
  meta-commands pg_dump itself writes (``\connect``, ``\restrict``,
  ``\unrestrict``) are dropped; any other is refused before anything is
  loaded. Ownership and privilege
  statements are dropped first: the roles they name do not exist on a
  throwaway server, and verify does not look at them. A dump with rows
  (``COPY ... FROM stdin`` blocks, ``INSERT``s) is loaded only when asked
  (``--with-data``): production rows are large and personal, and loading them
  into a CI job should be a decision, not an accident;
- a legacy state: a ``.sql`` file (loaded like a dump, rows included), or
  ``package.module:function``, a Python callable given the database URL (e.g.
  ``tests.legacy_states:build_state_3``).
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from astegni_db import db
from astegni_db.errors import ConfigError
from astegni_db.project.migration_files import split_statements
from astegni_db.settings import DatabaseTarget

_OWNERSHIP = re.compile(r"^\s*(ALTER\s.*\sOWNER\s+TO\s|GRANT\s|REVOKE\s)", re.I)
_META = re.compile(r"^\s*\\(\S*)")
# What pg_dump and pg_dumpall write (\restrict since 17.6 / 15.14): where to
# connect, and psql's guard against meta-commands. Dropped: the throwaway
# database is where everything goes.
_DUMP_META_COMMANDS = frozenset({"connect", "c", "restrict", "unrestrict"})
# pg_dump's plain format: a COPY block is the statement, its rows one per line, then "\.".
_COPY_FROM_STDIN = re.compile(r"^COPY\s+(\S+)\s.*\bFROM\s+stdin;\s*$", re.I)
_END_OF_COPY = "\\."
_INSERT = re.compile(r"^INSERT\s+INTO\s+(\S+)", re.I)
# The first bytes of pg_dump's custom (-Fc) and tar (-Ft) formats.
_ARCHIVE_MAGIC = (b"PGDMP", b"toc.dat")


def read_dump(path: Path) -> str:
    """The text of a plain-format dump; a clear refusal for anything else."""
    if not path.is_file():
        raise ConfigError(f"dump file not found: {path}")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror or exc}") from None
    if raw.startswith(_ARCHIVE_MAGIC[0]) or raw[:512].find(_ARCHIVE_MAGIC[1]) >= 0:
        raise ConfigError(
            f"{path} is a pg_dump archive (custom or tar format), not SQL text",
            hint=f"convert it: pg_restore --schema-only -f schema.sql {path}",
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path} is not UTF-8 SQL text (byte {exc.start})") from None


def tables_with_rows(text: str) -> list[str]:
    """Tables a dump fills: a COPY block with at least one row, or an INSERT."""
    tables: set[str] = set()
    lines = iter(text.splitlines())
    for line in lines:
        if copy := _COPY_FROM_STDIN.match(line):
            first = next(lines, _END_OF_COPY)
            if first != _END_OF_COPY:
                tables.add(copy.group(1))
            while first != _END_OF_COPY:
                first = next(lines, _END_OF_COPY)
        elif insert := _INSERT.match(line):
            tables.add(insert.group(1))
    return sorted(tables)


def load_dump(target: DatabaseTarget, path: Path) -> str:
    """Load a schema dump (or any SQL file, rows included); returns how it was loaded."""
    text = read_dump(path)
    refuse_meta_commands(text, path)
    kept = "\n".join(line for line in text.splitlines() if not _OWNERSHIP.match(line))
    _run_statements(target, kept, path)
    return f"loaded {path.name} statement by statement"


def refuse_meta_commands(text: str, path: Path) -> None:
    """A backslash command pg_dump never writes means the file is not a dump as made.

    It is not run (nothing here runs one), and not silently dropped either:
    the file was edited or crafted, and what it meant is unknown. COPY rows are
    data, whatever they start with.
    """
    for kind, body, _rows, line in _dump_parts(text, keep_meta=True):
        if kind == "copy":
            continue
        for offset, content in enumerate(body.splitlines()):
            meta = _META.match(content)
            if meta and meta.group(1).lower() not in _DUMP_META_COMMANDS:
                command = re.sub(r"[^A-Za-z!?]", "", meta.group(1))[:12] or "?"
                raise ConfigError(
                    f"{path}, line {line + offset}: a psql meta-command (\\{command}) that "
                    "pg_dump does not write; refusing to load the file (nothing was run)",
                    hint="make the dump with pg_dump --schema-only (plain format), unedited",
                )


def _run_statements(target: DatabaseTarget, sql_text: str, source: Path) -> None:
    """What psql would do with a plain dump: its statements, and its COPY blocks'
    rows through COPY FROM STDIN; backslash meta-commands are dropped."""
    import psycopg

    with db.connect(target, purpose="check fixture") as conn:
        for kind, body, rows, line in _dump_parts(sql_text):
            doing = f"loading {source} near line {line}"
            try:
                if kind == "copy":
                    with conn.cursor().copy(body.encode("utf-8")) as copy:
                        for row in rows:
                            copy.write(row + "\n")
                    continue
                for statement, offset in split_statements(body):
                    doing = f"loading {source} near line {line + offset - 1}"
                    conn.execute(statement.encode("utf-8"))
            except psycopg.Error as exc:
                raise db.translate(exc, target, doing, migrating=False) from None


def _dump_parts(text: str, *, keep_meta: bool = False) -> Iterator[tuple[str, str, list[str], int]]:
    """("sql", statements, [], first line) and ("copy", statement, rows, line) in order;
    meta-command lines become empty (``keep_meta``: are kept, to be checked)."""
    pending: list[str] = []
    start = 1
    lines = text.splitlines()
    number = 0
    while number < len(lines):
        line = lines[number]
        number += 1
        if _COPY_FROM_STDIN.match(line):
            if pending:
                yield "sql", "\n".join(pending), [], start
            rows = []
            while number < len(lines) and lines[number] != _END_OF_COPY:
                rows.append(lines[number])
                number += 1
            yield "copy", line.rstrip().rstrip(";"), rows, number - len(rows)
            number += 1  # the "\." line
            pending, start = [], number + 1
        else:
            # A meta-command line becomes empty: line numbers stay the file's.
            pending.append("" if _META.match(line) and not keep_meta else line)
    if pending:
        yield "sql", "\n".join(pending), [], start


def load_legacy_state(target: DatabaseTarget, state: str) -> str:
    """A ``.sql`` file, or ``module:function`` called with the database URL."""
    import psycopg

    if state.endswith(".sql"):
        return load_dump(target, Path(state))
    builder = _import_callable(state)
    try:
        builder(target.url)
    except psycopg.Error as exc:
        raise db.translate(exc, target, f"building legacy state {state}", migrating=False) from None
    return f"built {state}"


def _import_callable(reference: str) -> Callable[[str], object]:
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise ConfigError(
            f"legacy state {reference!r}: give a .sql file or module:function "
            "(e.g. tests.legacy_states:build_state_3)"
        )
    # The project's own modules (tests.legacy_states ...), as pytest sees them.
    added = os.getcwd() not in sys.path
    if added:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(
            f"legacy state {reference!r}: cannot import {module_name}: {exc}"
        ) from None
    finally:
        if added:
            sys.path.remove(os.getcwd())
    found = getattr(module, attribute, None)
    if not callable(found):
        raise ConfigError(f"legacy state {reference!r}: {module_name} has no function {attribute}")
    return found  # type: ignore[no-any-return]
