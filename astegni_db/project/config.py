"""The project's named targets: which databases, and each one's migrations, spec and queries.

Read from ``astegni-db.toml`` or ``[tool.astegni-db]`` in ``pyproject.toml``,
in the working directory or the nearest parent (the first of the two found
wins, ``astegni-db.toml`` over ``pyproject.toml`` in the same directory).
Paths in the file are relative to the file's directory.

    [targets.user]
    url_env = "DATABASE_URL"            # default: <NAME>_DATABASE_URL
    migrations = "migrations"
    spec = "checks/schema.toml"
    queries = "checks/queries"          # optional
    standbys = ["USER_STANDBY_URL"]     # optional: variables naming hot standbys
    standby_timeout = 60                # seconds to wait for them after migrate

    [targets.tenants.fleet]             # optional: one target, many databases
    file = "tenants.txt"                # database names or URLs, one per line
    # query = "SELECT datname FROM pg_database WHERE datname LIKE 'tenant%'"
    concurrency = 8

Without a configuration the project is what it always was: one implicit
target, ``migrations/``, ``checks/schema.toml`` and ``checks/queries/`` in the
working directory, its URL from ``--database-url``, ``DATABASE_URL`` or ``.env``.
When there is no configuration and no ``migrations/`` either (astegni-db was
installed, not cloned), the project shipped inside the package is used
(:data:`BUNDLED_DIR`), and the CLI says so.

Nothing here connects to a database: a fleet's members are listed by
``astegni_db.fleet.expand``.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from astegni_db import settings
from astegni_db.errors import ConfigError

CONFIG_FILE = "astegni-db.toml"
PYPROJECT = "pyproject.toml"
# The name of the one target a project without a configuration has.
IMPLICIT_TARGET = "default"
# Astegni's own project (its three targets' migrations, specs and queries),
# shipped as package data for a deploy image that installed astegni-db.
BUNDLED_DIR = Path(__file__).resolve().parent.parent / "bundled"
DEFAULT_STANDBY_TIMEOUT_S = 60.0
DEFAULT_FLEET_CONCURRENCY = 4
_NAME = re.compile(r"[a-z][a-z0-9_-]{0,39}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_TARGET_KEYS = {"url_env", "migrations", "spec", "queries", "standbys", "standby_timeout", "fleet"}
_FLEET_KEYS = {"file", "query", "concurrency"}


@dataclass(frozen=True)
class FleetConfig:
    """One target, many databases with the same schema (a tenant per database, say)."""

    file: Path | None  # database names (on the target's server) or URLs, one per line
    query: str | None  # run on the target's URL; its first column is a name or a URL
    concurrency: int = DEFAULT_FLEET_CONCURRENCY


@dataclass(frozen=True)
class TargetConfig:
    """One named database (or fleet): where its URL comes from, and its project files."""

    name: str
    url_env: str
    migrations_dir: Path
    spec: Path
    queries: Path | None
    standbys: tuple[str, ...] = ()  # variables naming hot standbys' URLs
    standby_timeout_s: float = DEFAULT_STANDBY_TIMEOUT_S
    fleet: FleetConfig | None = None


@dataclass(frozen=True)
class ProjectConfig:
    """Every target, in the file's order, and where they were read from."""

    targets: tuple[TargetConfig, ...]
    source: Path | None  # the file; None: no configuration (the implicit target)
    bundled: bool = False  # the project shipped inside the package

    @property
    def configured(self) -> bool:
        return self.source is not None

    @property
    def names(self) -> list[str]:
        return [target.name for target in self.targets]

    def select(self, names: Sequence[str]) -> list[TargetConfig]:
        """The targets ``names`` asks for, in the file's order; all of them for none."""
        if not names:
            return list(self.targets)
        unknown = [name for name in names if name not in self.names]
        if unknown:
            known = ", ".join(self.names)
            where = self.source.name if self.source else "no configuration file"
            raise ConfigError(
                f"unknown target {unknown[0]!r}: {where} defines {known}",
                hint=None if self.configured else f"targets are named in {CONFIG_FILE}",
            )
        return [target for target in self.targets if target.name in names]

    def describe(self) -> str:
        """Where the project's files came from, for people."""
        if self.bundled:
            from astegni_db import __version__

            return f"the project shipped with astegni-db {__version__} ({self.source})"
        if self.source is None:
            return "the working directory"
        with contextlib.suppress(ValueError):  # shown as typed when it is under the cwd
            return str(self.source.relative_to(Path.cwd().resolve()))
        return str(self.source)


def implicit_target() -> TargetConfig:
    """Today's one database: ./migrations, ./checks, DATABASE_URL."""
    return TargetConfig(
        name=IMPLICIT_TARGET,
        url_env="DATABASE_URL",
        migrations_dir=settings.DEFAULT_MIGRATIONS_DIR,
        spec=settings.DEFAULT_SPEC,
        queries=settings.DEFAULT_QUERIES,
    )


def find_config(start: Path) -> tuple[Path, Mapping[str, Any]] | None:
    """The nearest configuration at or above ``start``: (file, its astegni-db table)."""
    for directory in (start, *start.parents):
        own = directory / CONFIG_FILE
        if own.is_file():
            return own, _read_toml(own)
        pyproject = directory / PYPROJECT
        if pyproject.is_file():
            table = _read_toml(pyproject).get("tool", {}).get("astegni-db")
            if table is not None:
                if not isinstance(table, dict):
                    raise ConfigError(f"{pyproject}: [tool.astegni-db] must be a table")
                return pyproject, table
        if (directory / ".git").exists():
            break  # a repository's configuration never comes from outside it
    return None


def load_project(cwd: Path | None = None) -> ProjectConfig:
    """The project astegni-db runs on from ``cwd``.

    A configuration file if there is one; else, with ``migrations/`` present,
    the implicit target (exactly the behaviour before targets existed); else
    the project bundled with the package, if this build ships one.
    """
    start = (cwd or Path.cwd()).resolve()
    found = find_config(start)
    if found is not None:
        path, table = found
        return ProjectConfig(parse_targets(table, path.parent, str(path)), path)
    bundled = BUNDLED_DIR / CONFIG_FILE
    if not (start / settings.DEFAULT_MIGRATIONS_DIR).exists() and bundled.is_file():
        targets = parse_targets(_read_toml(bundled), bundled.parent, "the bundled project")
        return ProjectConfig(targets, bundled, bundled=True)
    return ProjectConfig((implicit_target(),), None)


def parse_targets(table: Mapping[str, Any], base: Path, where: str) -> tuple[TargetConfig, ...]:
    """Validate a configuration table; every problem is one line naming the key."""
    unknown = set(table) - {"targets"}
    if unknown:
        raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r} (expected [targets.NAME])")
    targets = table.get("targets")
    if not isinstance(targets, dict) or not targets:
        raise ConfigError(f"{where}: no targets: add at least one [targets.NAME] table")
    return tuple(_parse_target(name, raw, base, where) for name, raw in targets.items())


def _parse_target(name: str, raw: Any, base: Path, where: str) -> TargetConfig:
    at = f"{where}: [targets.{name}]"
    if not _NAME.fullmatch(name):
        raise ConfigError(
            f"{at}: a target name is lower-case letters, digits, '-' or '_', "
            "starting with a letter (at most 40)"
        )
    if not isinstance(raw, dict):
        raise ConfigError(f"{at} must be a table")
    unknown = set(raw) - _TARGET_KEYS
    if unknown:
        raise ConfigError(f"{at}: unknown key {sorted(unknown)[0]!r}")
    url_env = _string(raw, "url_env", at) or f"{name.upper().replace('-', '_')}_DATABASE_URL"
    if not _ENV_NAME.fullmatch(url_env):
        raise ConfigError(f"{at}: url_env must be an environment variable's name")
    standbys = raw.get("standbys", [])
    if not isinstance(standbys, list) or not all(
        isinstance(v, str) and _ENV_NAME.fullmatch(v) for v in standbys
    ):
        raise ConfigError(f"{at}: standbys must be a list of environment variable names")
    timeout = raw.get("standby_timeout", DEFAULT_STANDBY_TIMEOUT_S)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise ConfigError(f"{at}: standby_timeout must be a number of seconds above 0")
    queries = _string(raw, "queries", at)
    return TargetConfig(
        name=name,
        url_env=url_env,
        migrations_dir=base / (_string(raw, "migrations", at) or "migrations"),
        spec=base / (_string(raw, "spec", at) or "checks/schema.toml"),
        queries=base / queries if queries else None,
        standbys=tuple(standbys),
        standby_timeout_s=float(timeout),
        fleet=_parse_fleet(raw.get("fleet"), base, at),
    )


def _parse_fleet(raw: Any, base: Path, at: str) -> FleetConfig | None:
    if raw is None:
        return None
    at = f"{at}.fleet"
    if not isinstance(raw, dict):
        raise ConfigError(f"{at} must be a table")
    unknown = set(raw) - _FLEET_KEYS
    if unknown:
        raise ConfigError(f"{at}: unknown key {sorted(unknown)[0]!r}")
    file, query = _string(raw, "file", at), _string(raw, "query", at)
    if (file is None) == (query is None):
        raise ConfigError(f"{at}: give exactly one of file (a list of databases) or query")
    concurrency = raw.get("concurrency", DEFAULT_FLEET_CONCURRENCY)
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"{at}: concurrency must be a whole number, 1 or more")
    return FleetConfig(file=base / file if file else None, query=query, concurrency=concurrency)


def _string(raw: Mapping[str, Any], key: str, at: str) -> str | None:
    value = raw.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"{at}: {key} must be a non-empty string")
    return value


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as stream:
            return tomllib.load(stream)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc.strerror}") from None
