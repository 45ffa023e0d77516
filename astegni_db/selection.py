"""Which databases a run covers: targets chosen, their paths and URLs resolved, once, at the edge.

The CLI and the pytest plugin call this before anything connects. Every
target's URL is resolved up front (``--database-url`` for the one target it
names, else the target's variable, else that variable in ``.env``, else the
local dev database, never under CI), so a run with a missing URL fails
before the first database is touched: nothing is half-applied across targets.

One database, one report: a run on one target that is not a fleet is
reported exactly as a project without a configuration is. Several databases
(more than one target, or a fleet) make one grouped report (fleet.report).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from astegni_db import settings
from astegni_db.errors import ConfigError
from astegni_db.project.config import ProjectConfig, TargetConfig, load_project

if TYPE_CHECKING:
    from astegni_db.fleet.runner import Job
    from astegni_db.settings import DatabaseTarget

# What the CLI hands in when the dev database stands in for a target (it prints a note).
Announce = Callable[[str], None]


@dataclass(frozen=True)
class PathOverrides:
    """--migrations-dir, --spec, --queries as given (None: the target's own)."""

    migrations_dir: Path | None = None
    spec: Path | None = None
    queries: Path | None = None

    def flags(self) -> list[str]:
        names = {"migrations_dir": "--migrations-dir", "spec": "--spec", "queries": "--queries"}
        return [flag for field, flag in names.items() if getattr(self, field) is not None]

    def apply(self, target: TargetConfig) -> TargetConfig:
        return dataclasses.replace(
            target,
            migrations_dir=self.migrations_dir or target.migrations_dir,
            spec=self.spec or target.spec,
            queries=self.queries or target.queries,
        )


@dataclass(frozen=True)
class Selection:
    project: ProjectConfig
    targets: list[TargetConfig]

    @property
    def one_database(self) -> bool:
        """Reported as a project without targets: one target, and not a fleet."""
        return len(self.targets) == 1 and self.targets[0].fleet is None


def project_here() -> ProjectConfig:
    project = load_project()
    if project.source is not None and not project.bundled:
        project = _relative_to_cwd(project)
    return project


def _relative_to_cwd(project: ProjectConfig) -> ProjectConfig:
    """Paths as the user would type them when the configuration sits where they run
    (messages then say `migrations`, not `/home/.../migrations`)."""
    assert project.source is not None
    if project.source.parent != Path.cwd().resolve():
        return project

    def short(path: Path | None) -> Path | None:
        return None if path is None else Path(os.path.relpath(path))

    targets = tuple(
        dataclasses.replace(
            t,
            migrations_dir=Path(os.path.relpath(t.migrations_dir)),
            spec=Path(os.path.relpath(t.spec)),
            queries=short(t.queries),
            fleet=t.fleet
            if t.fleet is None or t.fleet.file is None
            else dataclasses.replace(t.fleet, file=short(t.fleet.file)),
        )
        for t in project.targets
    )
    return dataclasses.replace(project, targets=targets)


def select(
    project: ProjectConfig,
    names: Sequence[str],
    *,
    overrides: PathOverrides = PathOverrides(),
    database_url: str | None = None,
    one_database_flags: Sequence[str] = (),
    explicit_only: str | None = None,
) -> Selection:
    """The targets this run covers, with the path flags applied.

    A flag that names one database's thing (--database-url, --migrations-dir,
    --spec, --queries, check's --from-dump ...) makes the run a one-target run:
    on the target --target names, else on the target that reads DATABASE_URL
    (the flags stand in for what a project without targets reads), else on the
    only target. ``explicit_only``: the command (rollback, repair, new) never
    runs on every target by default.
    """
    flagged = [
        *(["--database-url"] if database_url is not None else []),
        *overrides.flags(),
        *one_database_flags,
    ]
    if flagged and not names:
        chosen = _flag_target(project, flagged[0])
    elif explicit_only and not names and len(project.targets) > 1:
        raise ConfigError(
            f"{explicit_only} never runs on every target by default: "
            f"name the target(s) with --target ({', '.join(project.names)})"
        )
    else:
        chosen = project.select(names)
    if flagged and len(chosen) > 1:
        raise ConfigError(
            f"{flagged[0]} is for one target, but this run covers "
            f"{len(chosen)} ({', '.join(t.name for t in chosen)}): give one --target"
        )
    return Selection(project, [overrides.apply(target) for target in chosen])


def _flag_target(project: ProjectConfig, flag: str) -> list[TargetConfig]:
    """A one-database flag without --target: the target that reads DATABASE_URL (the
    flag stands in for what a project without targets reads), or the only target."""
    if len(project.targets) == 1:
        return list(project.targets)
    reading = [t for t in project.targets if t.url_env == "DATABASE_URL"]
    if len(reading) == 1:
        return reading
    raise ConfigError(
        f"{flag} is for one target, and no target reads DATABASE_URL: "
        f"choose it with --target ({', '.join(project.names)})"
    )


def resolve_databases(
    project: ProjectConfig,
    targets: Sequence[TargetConfig],
    *,
    flag_url: str | None,
    connect_timeout: int,
    announce: Announce,
) -> dict[str, DatabaseTarget]:
    """Each target's URL: the flag, its variable, its variable in .env; else the dev database.

    The dev database stands in for every target of the run or for none: when
    some target has a URL and another has not, the run is refused. A deploy
    that forgot ADMIN_DATABASE_URL must fail, not migrate the real user
    database and a throwaway admin one.
    """
    found = {
        target.name: settings.configured_target(
            flag_url, connect_timeout=connect_timeout, variable=target.url_env
        )
        for target in targets
    }
    missing = [target for target in targets if found[target.name] is None]
    if not missing:
        return {name: database for name, database in found.items() if database is not None}
    first = missing[0]
    if len(missing) < len(targets):
        having = [target.name for target in targets if found[target.name] is not None]
        raise ConfigError(
            f"target {first.name!r} has no database URL: set {first.url_env}; the others "
            f"of this run have theirs, and the local dev database stands in for all "
            f"targets or none (or run only {', '.join(having)} with --target)"
        )
    if settings.running_under_ci() or project.bundled:
        if not project.configured:
            settings.require_dev_database_allowed()  # today's message, word for word
        # Every variable at once: fixing one, then meeting the next, is no way to deploy.
        variables = [target.url_env for target in missing]
        needed = ", ".join(variables[:-1]) + " and " * (len(variables) > 1) + variables[-1]
        why = (
            f"the local dev database is never used when CI={os.environ.get('CI', '').strip()}"
            if settings.running_under_ci()
            # Outside a checkout is a deploy image: a throwaway database there would
            # turn a forgotten URL into a migrate that passes.
            else "outside a checkout the local dev database is never used"
        )
        raise ConfigError(
            f"no database URL for {'target' if len(missing) == 1 else 'targets'} "
            f"{', '.join(target.name for target in missing)}: set {needed} "
            f"(or pass --database-url with --target {first.name}); {why}"
        )
    from astegni_db import devdb

    databases = {}
    for target in targets:
        database = devdb.database_for(target.name if project.configured else None)
        databases[target.name] = chosen = settings.parse_database_url(
            devdb.start(dev_project_dir(project), database),
            "dev database",
            connect_timeout=connect_timeout,
        )
        named = f" for target {target.name}" if project.configured else ""
        announce(
            f"Using the local dev database {chosen.redacted}{named} "
            f"(pass --database-url or set {target.url_env} to target another)."
        )
    return databases


def dev_project_dir(project: ProjectConfig) -> Path | None:
    """Where the dev database lives: beside the configuration (any subdirectory shares it)."""
    if project.source is None or project.bundled:
        return None
    return project.source.parent


def jobs_for(
    project: ProjectConfig,
    target: TargetConfig,
    database: DatabaseTarget | None,
) -> list[Job]:
    """The databases one target covers: itself, or its fleet's members."""
    from astegni_db.fleet.runner import Job

    if target.fleet is None or database is None:
        return [Job(target=target.name, database=database)]
    from astegni_db.fleet.expand import fleet_jobs

    return fleet_jobs(target.name, target.fleet, database)


def standby_databases(target: TargetConfig, connect_timeout: int) -> list[DatabaseTarget]:
    """The target's hot standbys, from the variables its configuration names."""
    standbys = []
    for variable in target.standbys:
        value = os.environ.get(variable)
        if not value:
            raise ConfigError(
                f"target {target.name!r} names standby variable {variable}, which is not set"
            )
        standbys.append(
            settings.parse_database_url(value, variable, connect_timeout=connect_timeout)
        )
    return standbys
