"""Starting points for `astegni-db check` other than an empty database.

- a ``pg_dump --schema-only`` file: run with psql (it understands the dump's
  backslash meta-commands), or, without psql, statement by statement through
  psycopg with the meta-command lines dropped. Ownership and privilege
  statements are dropped first: the roles they name do not exist on a
  throwaway server, and verify does not look at them;
- a legacy state: a ``.sql`` file (loaded like a dump, rows included), or
  ``package.module:function``, a Python callable given the database URL (e.g.
  ``tests.legacy_states:build_state_3``).
"""

from __future__ import annotations

import importlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from astegni_db import db
from astegni_db.errors import ConfigError, MigrationFailed
from astegni_db.project.migration_files import split_statements
from astegni_db.settings import DatabaseTarget, without_password

_OWNERSHIP = re.compile(r"^\s*(ALTER\s.*\sOWNER\s+TO\s|GRANT\s|REVOKE\s)", re.I)
_META = re.compile(r"^\s*\\")


def load_dump(target: DatabaseTarget, path: Path) -> str:
    """Load a schema dump (or any SQL file); returns how it was loaded."""
    if not path.is_file():
        raise ConfigError(f"dump file not found: {path}")
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    kept = "\n".join(line for line in text.splitlines() if not _OWNERSHIP.match(line))
    psql = find_psql()
    if psql is not None:
        _run_psql(psql, target, kept, path)
        return f"loaded {path.name} with {psql}"
    _run_statements(
        target, "\n".join(line for line in kept.splitlines() if not _META.match(line)), path
    )
    return f"loaded {path.name} statement by statement (no psql found)"


def find_psql() -> Path | None:
    found = shutil.which("psql")
    if found:
        return Path(found)
    from astegni_db.disposable.local import find_bindir

    bindir = find_bindir()
    if bindir is not None and (bindir / "psql").is_file():
        return bindir / "psql"
    return None


def _run_psql(psql: Path, target: DatabaseTarget, sql_text: str, source: Path) -> None:
    # The password goes through the environment, never the command line.
    safe_url, password = without_password(target.url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    if password is not None:
        env["PGPASSWORD"] = password
    with tempfile.NamedTemporaryFile("w", suffix=".sql", encoding="utf-8") as script:
        script.write(sql_text)
        script.flush()
        done = subprocess.run(
            [str(psql), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", safe_url, "-f", script.name],
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    if done.returncode != 0:
        errors = [line for line in done.stderr.splitlines() if "ERROR" in line or "FATAL" in line]
        reason = (errors or done.stderr.strip().splitlines() or ["psql failed"])[0]
        reason = reason.split(script.name, 1)[-1].lstrip(":")
        raise MigrationFailed(f"loading {source} failed: {target.scrub(reason.strip())}")


def _run_statements(target: DatabaseTarget, sql_text: str, source: Path) -> None:
    import psycopg

    with db.connect(target, purpose="check fixture") as conn:
        for statement, line in split_statements(sql_text):
            try:
                conn.execute(statement.encode("utf-8"))
            except psycopg.Error as exc:
                doing = f"loading {source} near line {line}"
                raise db.translate(exc, target, doing, migrating=False) from None


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
