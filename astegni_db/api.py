"""astegni-db as a library: every verb as a plain function returning a report.

The CLI is built on these; tests and other programs call them directly. A
database may be given as a resolved DatabaseTarget or as a URL string; a
string is parsed here, at the library's edge, so everything below takes the
typed target only. Nothing here prints: a report renders itself (text, JSON,
JUnit) and owns its exit code; failures raise AstegniError subclasses.

    from astegni_db import api
    report = api.migrate("postgresql://app@db/astegni")
    api.verify("postgresql://app@db/astegni").exit_code
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from astegni_db import settings
from astegni_db.errors import AstegniError, MigrationFailed
from astegni_db.settings import DatabaseTarget

if TYPE_CHECKING:
    from astegni_db.converging.planner import PlanOptions
    from astegni_db.converging.report import PlanReport
    from astegni_db.devdb import DevReport
    from astegni_db.lint.context import Runner
    from astegni_db.lint.report import LintReport
    from astegni_db.migrating.attempts import EventSink, RetryPolicy
    from astegni_db.migrating.commands import Confirm, MigrateOptions, RollbackSelection
    from astegni_db.migrating.reports import (
        DryRunReport,
        MigrateReport,
        NewMigrationReport,
        RepairReport,
        RollbackReport,
        StatusReport,
    )
    from astegni_db.replicas.report import ReplicatedMigrateReport
    from astegni_db.roundtrip.report import CheckReport
    from astegni_db.verify.inspect import InspectReport
    from astegni_db.verify.report import VerifyReport

# Imported on first use, so that `import astegni_db.api` (and the CLI's start)
# costs only what the verb being run needs: verify never loads the migration
# engine, migrate never loads the catalog comparison.
_LAZY_NAMES = {
    "Confirm": "astegni_db.migrating.commands",
    "MigrateOptions": "astegni_db.migrating.commands",
    "RollbackSelection": "astegni_db.migrating.commands",
    "RetryPolicy": "astegni_db.migrating.runner",
    "PlanOptions": "astegni_db.converging.planner",
}


def __getattr__(name: str) -> Any:
    module = _LAZY_NAMES.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


__all__ = [
    "AstegniError",
    "Confirm",
    "DatabaseTarget",
    "MigrateOptions",
    "RetryPolicy",
    "RollbackSelection",
    "check",
    "dev_reset",
    "dev_start",
    "dev_status",
    "dev_stop",
    "dev_url",
    "dry_run",
    "inspect",
    "lint",
    "migrate",
    "migrate_with_standbys",
    "new",
    "no_events",
    "repair",
    "rollback",
    "status",
    "verify",
]


def as_target(database: DatabaseTarget | str) -> DatabaseTarget:
    if isinstance(database, DatabaseTarget):
        return database
    return settings.parse_database_url(database, "argument")


def no_events(event: object) -> None:
    """An ``on_event`` that shows nothing."""
    return None


def status(
    database: DatabaseTarget | str,
    migrations_dir: Path = settings.DEFAULT_MIGRATIONS_DIR,
    *,
    gate: bool = False,
) -> StatusReport:
    """Applied, pending, modified, renamed, missing; ``gate``: exit 3/5 when not clean."""
    from astegni_db.migrating import commands

    return commands.status(as_target(database), migrations_dir, gate=gate)


def dry_run(
    database: DatabaseTarget | str, migrations_dir: Path = settings.DEFAULT_MIGRATIONS_DIR
) -> DryRunReport:
    from astegni_db.migrating import commands

    return commands.dry_run(as_target(database), migrations_dir)


def migrate(
    database: DatabaseTarget | str,
    migrations_dir: Path = settings.DEFAULT_MIGRATIONS_DIR,
    options: MigrateOptions | None = None,
    on_event: EventSink = no_events,
    *,
    data_check_spec: Path | None = None,
    data_check_timeout_s: float | None = None,
) -> MigrateReport:
    """Apply pending migrations.

    With ``data_check_spec`` (an existing spec file), and only if anything is
    applied: the spec's tables are read under the migration lock before the
    first migration and after the last, and every change in how they behave is
    reported with its consequence (``behaviour_changes``); then rows outside the
    spec's documented value sets are counted, sampled on a big table, for at
    most ``data_check_timeout_s`` seconds (None: 2; 0: not counted).
    """
    from astegni_db.migrating import commands

    target = as_target(database)
    if data_check_spec is None or not data_check_spec.is_file():
        return commands.migrate(target, migrations_dir, options, on_event)
    spec_path = data_check_spec
    if TYPE_CHECKING:
        import psycopg

        from astegni_db.migrating.reports import BehaviourChange
        from astegni_db.verify.catalog import Catalog

    def observe(conn: psycopg.Connection[Any]) -> Catalog:
        # Imported here: a no-op migrate (every deploy) never loads the spec or the
        # catalog reader; this runs only when something is pending.
        from astegni_db.project.spec import load_spec
        from astegni_db.verify.catalog import read_catalog

        return read_catalog(conn, list(load_spec(spec_path).tables))

    def compare(before: Catalog, after: Catalog) -> list[BehaviourChange]:
        from astegni_db.verify.changes import describe_changes

        return list(describe_changes(before, after))

    try:
        report = commands.migrate(
            target, migrations_dir, options, on_event, observe=observe, compare=compare
        )
    except MigrationFailed as exc:
        # A table the applied migrations made or adopted is gone (undefined_table:
        # a legacy script renamed it after adoption): say where its rows went.
        if exc.sqlstate != "42P01" or exc.hint:
            raise
        from astegni_db.verify.run import renamed_away_hint

        hint = renamed_away_hint(target, spec_path)
        if hint is None:
            raise
        raise MigrationFailed(exc.message, hint=hint, sqlstate=exc.sqlstate) from None
    # Only after a change: a no-op migrate on every deploy should cost next to
    # nothing (bench_startup). Sampled on a big table and bounded in time: on 5M
    # rows a full count took seconds, the migration milliseconds.
    if report.applied and data_check_timeout_s != 0:
        from astegni_db.verify.run import data_warnings

        report.data_warnings = data_warnings(target, spec_path, timeout_s=data_check_timeout_s)
    return report


def migrate_with_standbys(
    database: DatabaseTarget | str,
    standbys: Sequence[DatabaseTarget | str],
    migrations_dir: Path = settings.DEFAULT_MIGRATIONS_DIR,
    options: MigrateOptions | None = None,
    on_event: EventSink = no_events,
    *,
    timeout_s: float = 60.0,
    spec_path: Path = settings.DEFAULT_SPEC,
    queries_dir: Path | None = settings.DEFAULT_QUERIES,
    data_check_timeout_s: float | None = None,
    on_replica_event: Callable[[Any], None] | None = None,
) -> ReplicatedMigrateReport:
    """:func:`migrate` on the primary, then wait up to ``timeout_s`` for every hot
    standby to replay it and :func:`verify` each (read-only, so a standby serves it).

    Before migrating, the standbys are asked which long transactions hold tables
    the pending migrations lock ACCESS EXCLUSIVE (a warning); while it runs,
    replication lag is sampled. Exit code: migrate's, else 8 (a standby did not
    catch up in time), 7, or 6 (a standby differs from the spec). Nothing on the
    primary is undone for a standby's sake.
    """
    from astegni_db.replicas.run import migrate_then_verify_standbys
    from astegni_db.replicas.standbys import no_replica_events

    primary = as_target(database)
    return migrate_then_verify_standbys(
        primary,
        [as_target(standby) for standby in standbys],
        timeout_s,
        migrate=lambda: migrate(
            primary,
            migrations_dir,
            options,
            on_event,
            data_check_spec=spec_path,
            data_check_timeout_s=data_check_timeout_s,
        ),
        verify=lambda standby: verify(standby, spec_path, queries_dir),
        on_event=on_replica_event or no_replica_events,
        migrations_dir=migrations_dir,
    )


def rollback(
    database: DatabaseTarget | str,
    migrations_dir: Path = settings.DEFAULT_MIGRATIONS_DIR,
    selection: RollbackSelection | None = None,
    options: MigrateOptions | None = None,
    on_event: EventSink = no_events,
    confirm: Confirm | None = None,
) -> RollbackReport:
    """Roll back the newest migration (default), or what ``selection`` names: the newest
    ``steps``, ``all``, or everything applied after ``to``.

    ``confirm(question, action)`` is asked under the migration lock, after the
    plan is made; what it agreed to is exactly what runs.
    """
    from astegni_db.migrating import commands

    return commands.rollback(
        as_target(database),
        migrations_dir,
        selection or commands.RollbackSelection(),
        options,
        on_event,
        confirm,
    )


def repair(
    database: DatabaseTarget | str,
    migrations_dir: Path = settings.DEFAULT_MIGRATIONS_DIR,
    options: MigrateOptions | None = None,
    confirm: Confirm | None = None,
) -> RepairReport:
    from astegni_db.migrating import commands

    return commands.repair(as_target(database), migrations_dir, options, confirm)


def new(migrations_dir: Path, name: str) -> NewMigrationReport:
    """Scaffold the next numbered migration (and its rollback file) in ``migrations_dir``."""
    from astegni_db.migrating.reports import NewMigrationReport
    from astegni_db.migrating.scaffold import new_migration

    return NewMigrationReport(*new_migration(migrations_dir, name))


def verify(
    database: DatabaseTarget | str,
    spec_path: Path = settings.DEFAULT_SPEC,
    queries_dir: Path | None = settings.DEFAULT_QUERIES,
    *,
    strict: bool = False,
) -> VerifyReport:
    from astegni_db.verify.run import verify as run_verify

    return run_verify(as_target(database), spec_path, queries_dir, strict=strict)


def inspect(
    database: DatabaseTarget | str, spec_path: Path = settings.DEFAULT_SPEC
) -> InspectReport:
    from astegni_db.verify.inspect import inspect as run_inspect

    return run_inspect(as_target(database), spec_path)


def plan(
    database: DatabaseTarget | str,
    spec_path: Path = settings.DEFAULT_SPEC,
    migrations_dir: Path = settings.DEFAULT_MIGRATIONS_DIR,
    options: PlanOptions | None = None,
    *,
    name: str | None = None,
    queries_dir: Path | None = settings.DEFAULT_QUERIES,
) -> PlanReport:
    """The migrations that bring the live database to the spec: rendered, parsed and
    linted, not written (``write_plan`` writes them). Reads only."""
    from astegni_db.converging.run import DEFAULT_NAME
    from astegni_db.converging.run import plan as run_plan

    queries = queries_dir if queries_dir is not None and queries_dir.is_dir() else None
    return run_plan(
        as_target(database),
        spec_path,
        migrations_dir,
        options,
        name=name or DEFAULT_NAME,
        queries_dir=queries,
    )


def write_plan(report: PlanReport) -> PlanReport:
    """Write a plan's migration files into its migrations directory."""
    from astegni_db.converging.run import write_plan as run_write_plan

    return run_write_plan(report)


def lint(
    paths: Sequence[Path] = (settings.DEFAULT_MIGRATIONS_DIR,),
    *,
    spec_path: Path | None = settings.DEFAULT_SPEC,
    queries_dir: Path | None = settings.DEFAULT_QUERIES,
    runner: Runner = "astegni-db",
    disabled: Collection[str] = (),
) -> LintReport:
    from astegni_db.lint import lint_paths

    return lint_paths(
        paths, spec_path=spec_path, queries_dir=queries_dir, runner=runner, disabled=disabled
    )


def check(
    migrations_dir: Path = settings.DEFAULT_MIGRATIONS_DIR,
    spec_path: Path = settings.DEFAULT_SPEC,
    queries_dir: Path | None = settings.DEFAULT_QUERIES,
    *,
    backend: str | None = None,
    from_dump: Path | None = None,
    with_data: bool = False,
    legacy_state: str | None = None,
    strict: bool = False,
    round_trip: bool = True,
) -> CheckReport:
    """Migrate, verify, roll back, prove it clean, migrate and verify again, on a throwaway
    server; ``CheckReport.exit_code`` is the first failing phase's."""
    from astegni_db.roundtrip.run import run_check

    return run_check(
        migrations_dir,
        spec_path,
        queries_dir,
        backend=backend,
        from_dump=from_dump,
        with_data=with_data,
        legacy_state=legacy_state,
        strict=strict,
        round_trip=round_trip,
    )


# A project with targets names each dev database by the variable its URL is read
# from: (variable, database). One such pair prints a bare URL, several print
# VARIABLE=URL lines (`astegni-db dev url > .env` then configures every target).
DevDatabases = Sequence[tuple[str, str]]


def dev_start(project_dir: Path | None = None, databases: DevDatabases = ()) -> DevReport:
    """Start the local dev database (creating it on first use); its URL is the result."""
    from astegni_db import devdb

    if not databases:
        url = devdb.start(project_dir)
        return devdb.DevReport(url, note=f"dev database running: {settings.redact_url(url)}")
    urls = [(variable, devdb.start(project_dir, database)) for variable, database in databases]
    shown = ", ".join(settings.redact_url(url) for _, url in urls)
    return devdb.DevReport(_dev_urls(urls), note=f"dev databases running: {shown}")


def dev_url(project_dir: Path | None = None, databases: DevDatabases = ()) -> DevReport:
    from astegni_db import devdb

    if not databases:
        return devdb.DevReport(devdb.url(project_dir))
    urls = [(variable, devdb.url(project_dir, database)) for variable, database in databases]
    return devdb.DevReport(_dev_urls(urls))


def _dev_urls(urls: Sequence[tuple[str, str]]) -> str:
    if len(urls) == 1:
        return urls[0][1]
    return "\n".join(f"{variable}={url}" for variable, url in urls)


def dev_stop(project_dir: Path | None = None) -> DevReport:
    from astegni_db import devdb

    return devdb.DevReport("stopped" if devdb.stop(project_dir) else "not running")


def dev_reset(
    project_dir: Path | None = None, confirm: Confirm | None = None, databases: DevDatabases = ()
) -> DevReport:
    from astegni_db import devdb
    from astegni_db.errors import Aborted

    names = tuple(database for _, database in databases) or (devdb.DATABASE,)
    which = "dev database" if len(names) == 1 else f"dev databases ({', '.join(names)})"
    asked = f"Drop every table in the {which}?"
    if confirm is not None and not confirm(asked, f"reset the {which}"):
        raise Aborted("aborted")
    devdb.reset(project_dir, names)
    return devdb.DevReport(f"{which[0].upper()}{which[1:]} reset")


def dev_status(project_dir: Path | None = None) -> DevReport:
    from astegni_db import devdb

    st = devdb.status(project_dir)
    state = "running" if st.running else ("stopped" if st.initialised else "not created")
    where = f" {settings.redact_url(st.url)}" if st.url else ""
    return devdb.DevReport(f"{state}: {st.directory}{where}")
