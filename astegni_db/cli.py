"""The `astegni-db` command line: parse, call a library function, render, exit.

Heavy modules (psycopg, yoyo, rich) are imported inside the commands that
need them, so `--help` and `--version` stay fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from astegni_db import __version__
from astegni_db.errors import AstegniError, ConfigError, ExitCode, PendingMigrations
from astegni_db.output import Ui

if TYPE_CHECKING:
    from astegni_db.api import MigrateOptions
    from astegni_db.migrating.plan import Plan
    from astegni_db.migrating.runner import Event
    from astegni_db.settings import DatabaseTarget

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = """\b
Exit codes (all commands):
  0 success, nothing to do     4 lock not acquired in time
  1 a migration/query failed   5 applied migration edited, renamed or deleted
  2 usage or configuration     6 schema differs from the spec (verify)
  3 migrations pending         7 database unreachable / login failed
"""


def _ui() -> Ui:
    ctx = click.get_current_context()
    ui: Ui = ctx.ensure_object(Ui)
    return ui


def database_options(f: F) -> F:
    """--database-url and --connect-timeout, shared by every command that connects."""
    f = click.option(
        "--database-url",
        metavar="URL",
        help="postgresql:// URL. Default: $DATABASE_URL, then DATABASE_URL in ./.env, "
        "then the local dev database (never under CI=true).",
    )(f)
    f = click.option(
        "--connect-timeout",
        type=click.IntRange(1, 300),
        default=10,
        show_default=True,
        help="Seconds to wait for the server to answer.",
    )(f)
    return f


def migrations_option(f: F) -> F:
    return click.option(
        "--migrations-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=Path("migrations"),
        envvar="ASTEGNI_DB_MIGRATIONS_DIR",
        show_default=True,
        help="The yoyo migrations directory.",
    )(f)


def format_option(*choices: str) -> Callable[[F], F]:
    def decorate(f: F) -> F:
        return click.option(
            "--format",
            "fmt",
            type=click.Choice(list(choices)),
            default="text",
            show_default=True,
            help="text for people (rich on a terminal, plain when piped); json for scripts.",
        )(f)

    return decorate


def lock_options(f: F) -> F:
    f = click.option(
        "--lock-timeout",
        type=click.FloatRange(0, 86400),
        default=30.0,
        show_default=True,
        metavar="SECONDS",
        help="How long to wait for another astegni-db run to finish (0: do not wait).",
    )(f)
    f = click.option(
        "--ddl-lock-timeout",
        type=click.IntRange(10, 60000),
        default=200,
        show_default=True,
        metavar="MS",
        help="Longest one DDL attempt may wait for a table lock before it backs off.",
    )(f)
    f = click.option(
        "--ddl-retries",
        type=click.IntRange(0, 100),
        default=10,
        show_default=True,
        help="Retries, with exponential backoff, after a DDL lock timeout.",
    )(f)
    return f


def _target(database_url: str | None) -> DatabaseTarget:
    from astegni_db.settings import resolve_target

    target = resolve_target(database_url)
    if target.source == "dev database":
        _ui().say(
            f"Using the local dev database {target.redacted} "
            "(pass --database-url or set DATABASE_URL to target another).",
            style="yellow",
        )
    return target


def _options(
    lock_timeout: float,
    ddl_lock_timeout: int,
    ddl_retries: int,
    connect_timeout: int,
    **flags: bool,
) -> MigrateOptions:
    from astegni_db.api import MigrateOptions
    from astegni_db.migrating.runner import RetryPolicy

    return MigrateOptions(
        lock_timeout_s=lock_timeout,
        ddl=RetryPolicy(lock_timeout_ms=ddl_lock_timeout, retries=ddl_retries),
        connect_timeout=connect_timeout,
        **flags,
    )


def _progress(event: Event) -> None:
    ui = _ui()
    verb = "applying" if event.direction == "apply" else "rolling back"
    if event.kind == "start":
        ui.say(f"  {verb} {event.migration_id} ...")
    elif event.kind == "retry":
        ui.say(f"  {event.migration_id}: attempt {event.attempt}: {event.detail}", style="yellow")
    else:
        done = "applied" if event.direction == "apply" else "rolled back"
        tries = f", attempt {event.attempt}" if event.attempt > 1 else ""
        ui.say(f"  {event.migration_id} {done} in {event.duration_ms:.0f} ms{tries}", style="green")


@click.group(context_settings={"help_option_names": ["-h", "--help"]}, epilog=EXIT_CODES_HELP)
@click.version_option(__version__, prog_name="astegni-db")
@click.option("--no-color", is_flag=True, help="No colours or styles (NO_COLOR is honoured too).")
@click.pass_context
def cli(ctx: click.Context, no_color: bool) -> None:
    """Tracked, idempotent PostgreSQL migrations and schema verification for Astegni.

    \b
    The main job, on $DATABASE_URL (or the local dev database):
      astegni-db migrate && astegni-db verify
    """
    ctx.ensure_object(Ui).no_color = no_color


@cli.command()
@database_options
@migrations_option
@lock_options
@format_option("text", "json")
@click.option("--dry-run", is_flag=True, help="Print the SQL that would run; change nothing.")
@click.option(
    "--spec",
    "spec_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("checks/schema.toml"),
    show_default=True,
    help="Spec whose documented value sets are checked after migrating (skipped if absent).",
)
@click.option(
    "--no-data-check",
    is_flag=True,
    help="Do not count legacy values outside the spec's documented sets after migrating.",
)
@click.option(
    "--accept-changes",
    is_flag=True,
    help="Record edited, renamed or deleted applied migrations as they are now, then migrate.",
)
@click.option(
    "--allow-out-of-order",
    is_flag=True,
    help="Apply pending migrations that sort before already-applied ones.",
)
def migrate(
    database_url: str | None,
    connect_timeout: int,
    migrations_dir: Path,
    lock_timeout: float,
    ddl_lock_timeout: int,
    ddl_retries: int,
    fmt: str,
    dry_run: bool,
    spec_path: Path,
    no_data_check: bool,
    accept_changes: bool,
    allow_out_of_order: bool,
) -> None:
    """Apply pending migrations, each atomically with its bookkeeping.

    Runs one at a time per database (advisory lock), with a short lock_timeout
    on every DDL statement and retries with backoff, so a busy table is never
    stalled behind the migration.

    \b
    Examples:
      astegni-db migrate --database-url postgresql://app@db/astegni
      astegni-db migrate --dry-run
      astegni-db migrate --format json > applied.json
    """
    ui = _ui()
    ui.fmt = fmt
    target = _target(database_url)
    if dry_run:
        _dry_run(target, migrations_dir, connect_timeout)
        return
    from astegni_db import api

    options = _options(
        lock_timeout,
        ddl_lock_timeout,
        ddl_retries,
        connect_timeout,
        accept_changes=accept_changes,
        allow_out_of_order=allow_out_of_order,
    )
    result = api.migrate(
        target, migrations_dir, options, on_event=_progress if fmt == "text" else api._noop
    )
    notices = [f"{r.migration_id}: {n}" for r in result.applied for n in r.notices]
    # Only after a change: the check scans tutoring_sessions, and a no-op
    # migrate on every deploy should cost next to nothing (bench_startup).
    data = (
        _data_warnings(target, spec_path, connect_timeout)
        if result.applied and not no_data_check
        else []
    )
    if fmt == "json":
        ui.json(
            {
                "version": 1,
                "database": target.redacted,
                "applied": [
                    {
                        "id": r.migration_id,
                        "duration_ms": round(r.duration_ms, 1),
                        "attempts": r.attempts,
                    }
                    for r in result.applied
                ],
                "already_applied": len(result.plan_before.entries)
                - len(result.plan_before.pending),
                "adopted": result.adopted,
                "repaired": result.repaired,
                "notices": notices,
                "data_warnings": data,
                "duration_ms": round(result.duration_ms, 1),
            }
        )
        return
    for line in result.repaired + [f"recorded the checksum of {i}" for i in result.adopted]:
        ui.say(f"  {line}")
    for n in notices:
        ui.say(f"  {n}", style="yellow")
    for w in data:
        ui.say(f"  data warning: {w} (kept as is; see `astegni-db verify`)", style="yellow")
    if result.applied:
        ui.out(
            f"Applied {len(result.applied)} migration(s) to {target.dbname} "
            f"in {result.duration_ms:.0f} ms.",
            style="bold green",
        )
    else:
        ui.out(f"Nothing to apply: {target.dbname} is up to date.", style="green")


def _data_warnings(target: DatabaseTarget, spec_path: Path, connect_timeout: int) -> list[str]:
    """Legacy values outside the documented sets, when a spec is at hand."""
    if not spec_path.is_file():
        return []
    from astegni_db.verify import data_warnings

    return data_warnings(target, spec_path, connect_timeout=connect_timeout)


def _dry_run(target: DatabaseTarget, migrations_dir: Path, connect_timeout: int) -> None:
    from astegni_db import api

    ui = _ui()
    plan, pending = api.pending_sql(target, migrations_dir, connect_timeout=connect_timeout)
    if plan.problems:
        ui.say(f"warning: {plan.describe_problems()} (migrate will refuse)", style="yellow")
    if ui.fmt == "json":
        ui.json(
            {
                "version": 1,
                "database": target.redacted,
                "dry_run": True,
                "pending": [
                    {"id": e.id, "path": str(e.file.path), "sql": e.file.text}
                    for e in pending
                    if e.file is not None
                ],
            }
        )
        return
    if not pending:
        ui.out(f"-- Nothing to apply: {target.dbname} is up to date.")
        return
    for e in pending:
        assert e.file is not None
        ui.out(f"-- {e.id} ({e.file.path})")
        ui.out(e.file.text.rstrip() + "\n")
    ui.say(f"Dry run: {len(pending)} migration(s) would be applied; nothing was changed.")


@cli.command()
@database_options
@migrations_option
@format_option("text", "json")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 3 when migrations are pending, 5 when applied ones changed (a deploy gate).",
)
def status(
    database_url: str | None, connect_timeout: int, migrations_dir: Path, fmt: str, check: bool
) -> None:
    """Show applied, pending, modified, renamed and missing migrations.

    Needs only SELECT rights.

    \b
    Examples:
      astegni-db status
      astegni-db status --check   # pre-deploy gate: exit 3 if anything is pending
    """
    from astegni_db import api

    ui = _ui()
    ui.fmt = fmt
    plan = api.status(_target(database_url), migrations_dir, connect_timeout=connect_timeout)
    if fmt == "json":
        ui.json(
            {
                "version": 1,
                "migrations": [
                    {
                        "id": e.id,
                        "state": str(e.state),
                        "applied_at": e.applied_at.isoformat() if e.applied_at else None,
                        "renamed_from": e.renamed_from,
                        "out_of_order": e.out_of_order,
                    }
                    for e in plan.entries
                ],
                "pending": len(plan.pending),
                "problems": len(plan.problems),
            }
        )
    else:
        _render_status(ui, plan)
    if check:
        if plan.problems:
            from astegni_db.errors import IntegrityFailure

            raise IntegrityFailure(
                f"applied migrations changed on disk: {plan.describe_problems()}"
            )
        if plan.pending:
            raise PendingMigrations(f"{len(plan.pending)} migration(s) pending")


def _render_status(ui: Ui, plan: Plan) -> None:
    rows = []
    for e in plan.entries:
        note = f"was {e.renamed_from}" if e.renamed_from else ""
        if e.out_of_order:
            note = "sorts before applied migrations"
        applied = e.applied_at.strftime("%Y-%m-%d %H:%M:%S") if e.applied_at else "-"
        rows.append([e.id, str(e.state), applied, note])
    if not rows:
        ui.out("No migrations found.")
        return
    ui.table("Migrations", ["id", "state", "applied (UTC)", "note"], rows)
    ui.out(
        f"{len(plan.entries) - len(plan.pending)} applied, {len(plan.pending)} pending, "
        f"{len(plan.problems)} changed on disk."
    )


@cli.command()
@database_options
@migrations_option
@lock_options
@click.option("--to", "to", metavar="ID", help="Roll back everything applied after ID (ID stays).")
@click.option("--all", "all_", is_flag=True, help="Roll back every applied migration.")
@click.option("--steps", type=click.IntRange(1), default=1, show_default=True)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def rollback(
    database_url: str | None,
    connect_timeout: int,
    migrations_dir: Path,
    lock_timeout: float,
    ddl_lock_timeout: int,
    ddl_retries: int,
    to: str | None,
    all_: bool,
    steps: int,
    yes: bool,
) -> None:
    """Roll back the last migration, or back to a named one.

    Each rollback runs with its bookkeeping in one transaction. The shipped
    rollbacks refuse to drop tables or columns that hold data.

    \b
    Examples:
      astegni-db rollback --yes
      astegni-db rollback --to 0001_baseline
    """
    from astegni_db import api

    if to and all_:
        raise ConfigError("--to and --all cannot be combined")
    ui = _ui()
    target = _target(database_url)
    plan = api.status(target, migrations_dir, connect_timeout=connect_timeout)
    chosen = api.select_rollback(plan, to, all_, steps)
    if not chosen:
        ui.out("Nothing to roll back.")
        return
    names = ", ".join(e.id for e in chosen)
    if not yes:
        if not sys.stdin.isatty():
            raise ConfigError(
                f"refusing to roll back {names} without --yes (no terminal to confirm)"
            )
        click.confirm(f"Roll back {names} on {target.redacted}?", abort=True, err=True)
    options = _options(lock_timeout, ddl_lock_timeout, ddl_retries, connect_timeout)
    result = api.rollback(
        target, migrations_dir, to=to, all_=all_, steps=steps, options=options, on_event=_progress
    )
    ui.out(
        f"Rolled back {len(result.rolled_back)} migration(s) in {result.duration_ms:.0f} ms.",
        style="bold green",
    )


@cli.command()
@database_options
@migrations_option
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def repair(database_url: str | None, connect_timeout: int, migrations_dir: Path, yes: bool) -> None:
    """Accept edited, renamed or deleted applied migrations as they are on disk.

    Changes only the bookkeeping (checksums, yoyo's applied list), never the
    schema. Use it after reviewing `astegni-db status`.
    """
    from astegni_db import api

    ui = _ui()
    target = _target(database_url)
    plan = api.status(target, migrations_dir, connect_timeout=connect_timeout)
    if not plan.problems:
        ui.out("Nothing to repair.")
        return
    if not yes:
        if not sys.stdin.isatty():
            raise ConfigError("refusing to repair without --yes (no terminal to confirm)")
        click.confirm(f"Accept: {plan.describe_problems()}?", abort=True, err=True)
    for line in api.repair(target, migrations_dir, _options(30.0, 200, 10, connect_timeout)):
        ui.out(f"  {line}")


@cli.command()
@migrations_option
@click.argument("name")
def new(migrations_dir: Path, name: str) -> None:
    """Scaffold the next numbered migration and its rollback file.

    \b
    Example:
      astegni-db new add_session_location_index
    """
    from astegni_db.scaffold import new_migration

    forward, back = new_migration(migrations_dir, name)
    _ui().out(f"Created {forward}\nCreated {back}")


def spec_options(f: F) -> F:
    f = click.option(
        "--spec",
        "spec_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=Path("checks/schema.toml"),
        show_default=True,
        help="The declarative schema spec.",
    )(f)
    f = click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the report to FILE instead of stdout.",
    )(f)
    return f


@cli.command()
@database_options
@spec_options
@click.option(
    "--queries",
    "queries_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("checks/queries"),
    show_default=True,
    help="The application's queries, checked against the live schema (never run on data).",
)
@click.option("--no-queries", is_flag=True, help="Skip the application-query checks.")
@click.option("--strict", is_flag=True, help="Columns and indexes the spec does not know fail too.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "text", "json", "junit"]),
    help="Default: a table on a terminal, plain text when piped.",
)
def verify(
    database_url: str | None,
    connect_timeout: int,
    spec_path: Path,
    output: Path | None,
    queries_dir: Path,
    no_queries: bool,
    strict: bool,
    fmt: str | None,
) -> None:
    """Check the live schema against the spec, through the catalog; say exactly what differs.

    Needs only SELECT rights. Exits 0 when the schema matches, 6 when it
    does not; data warnings (legacy values outside the documented sets) never fail.

    \b
    Examples:
      astegni-db verify
      astegni-db verify --format junit -o verify.xml   # for CI test reports
      astegni-db verify --format json | jq '.checks[] | select(.status=="error")'
    """
    from astegni_db.verify.command import run_verify

    ui = _ui()
    ui.fmt = "json" if fmt == "json" else "text"
    code = run_verify(
        _target(database_url),
        spec_path=spec_path,
        queries_dir=None if no_queries else queries_dir,
        strict=strict,
        fmt=fmt,
        output=output,
        connect_timeout=connect_timeout,
    )
    if code:
        sys.exit(code)


@cli.command()
@database_options
@spec_options
def inspect(
    database_url: str | None, connect_timeout: int, spec_path: Path, output: Path | None
) -> None:
    """Print the live schema of the spec's tables in the spec's own format.

    \b
    Example (review drift, or adopt an existing database):
      astegni-db inspect -o live.toml && diff checks/schema.toml live.toml
    """
    from astegni_db.verify.command import run_inspect

    run_inspect(
        _target(database_url), spec_path=spec_path, output=output, connect_timeout=connect_timeout
    )


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@migrations_option
@click.option(
    "--runner",
    type=click.Choice(["astegni-db", "yoyo", "psql"]),
    default="astegni-db",
    show_default=True,
    help="What will run the files: only astegni-db sets lock_timeout by itself.",
)
@click.option(
    "--disable", "disabled", multiple=True, metavar="RULE", help="Skip a rule (repeatable)."
)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "gitlab"]), default="text")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path))
def lint(
    paths: tuple[Path, ...],
    migrations_dir: Path,
    runner: str,
    disabled: tuple[str, ...],
    fmt: str,
    output: Path | None,
) -> None:
    """Find unsafe DDL in migration files before it reaches a busy table.

    Each finding has a rule id, why it is dangerous and what to write instead.
    Silence one occurrence with `-- astegni-db: ignore AD1xx` on the line
    before it. Exits 1 when anything is found. Rules: docs/lint.md.

    \b
    Examples:
      astegni-db lint
      astegni-db lint migrations/0003_add_index.sql --format gitlab -o gl-code-quality.json
    """
    from astegni_db.lint.command import run_lint

    _ui().fmt = "json" if fmt != "text" else "text"
    code = run_lint(
        list(paths) or [migrations_dir],
        runner=runner,  # type: ignore[arg-type]
        disabled=disabled,
        fmt=fmt,
        output=output,
    )
    if code:
        sys.exit(code)


@cli.command()
@migrations_option
@spec_options
@click.option(
    "--backend",
    type=click.Choice(["container", "local", "url", "embedded"]),
    help="Throwaway server to use (default: $ASTEGNI_DB_TEST_BACKEND, else the first that works).",
)
@click.option(
    "--from-dump",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Start from this `pg_dump --schema-only` file (a copy of production's schema).",
)
@click.option(
    "--legacy-state",
    metavar="MODULE:FUNCTION",
    help="Start from a database built by this Python callable (it receives the URL).",
)
@click.option("--strict", is_flag=True, help="Verify strictly (unknown columns fail).")
@click.option("--no-round-trip", is_flag=True, help="Skip the rollback and re-apply phases.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--junit", type=click.Path(dir_okay=False, path_type=Path), help="Also write JUnit XML."
)
def check(
    migrations_dir: Path,
    spec_path: Path,
    output: Path | None,
    backend: str | None,
    from_dump: Path | None,
    legacy_state: str | None,
    strict: bool,
    no_round_trip: bool,
    fmt: str,
    junit: Path | None,
) -> None:
    """One-shot CI check on a throwaway PostgreSQL: migrate, verify, roll back, re-apply.

    Applies every migration, verifies, rolls every migration back, proves none
    of our objects remain, applies again and verifies again. One summary, one
    exit code (the first failing phase's).

    \b
    Examples:
      astegni-db check --junit check.xml
      astegni-db check --from-dump prod-schema.sql
    """
    from astegni_db.check.command import run_check_command
    from astegni_db.output import open_output

    _ui().fmt = fmt
    with open_output(output, None) as stream:
        code = run_check_command(
            migrations_dir,
            spec_path=spec_path,
            backend=backend,
            from_dump=from_dump,
            legacy_state=legacy_state,
            strict=strict,
            round_trip=not no_round_trip,
            fmt=fmt,
            junit=junit,
            stdout=stream,
        )
    if code:
        sys.exit(code)


@cli.group()
def dev() -> None:
    """The local development database under ./.astegni-db/dev (never used under CI=true).

    With no --database-url, no DATABASE_URL and no .env, migrate, status and
    verify start it on demand and use it.
    """


@dev.command("start")
def dev_start() -> None:
    """Start the dev database (create it on first use) and print its URL."""
    from astegni_db import devdb
    from astegni_db.settings import redact_url

    url = devdb.start()
    _ui().say(f"dev database running: {redact_url(url)}")
    _ui().out(url)


@dev.command("url")
def dev_url() -> None:
    """Print the dev database's URL (with its local password), for DATABASE_URL=$(...)."""
    from astegni_db import devdb

    _ui().out(devdb.url())


@dev.command("stop")
def dev_stop() -> None:
    """Stop the dev database's server; its data stays for the next start."""
    from astegni_db import devdb

    _ui().out("stopped" if devdb.stop() else "not running")


@dev.command("reset")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
def dev_reset(yes: bool) -> None:
    """Drop and recreate the dev database (empty, nothing applied)."""
    from astegni_db import devdb

    if not yes:
        if not sys.stdin.isatty():
            raise ConfigError("refusing to reset the dev database without --yes")
        click.confirm("Drop every table in the dev database?", abort=True, err=True)
    devdb.reset()
    _ui().out("dev database reset")


@dev.command("status")
def dev_status() -> None:
    """Whether the dev database exists and runs, and where it lives."""
    from astegni_db import devdb
    from astegni_db.settings import redact_url

    st = devdb.status()
    state = "running" if st.running else ("stopped" if st.initialised else "not created")
    _ui().out(f"{state}: {st.directory}" + (f" {redact_url(st.url)}" if st.url else ""))


def _set_no_color(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(Ui).no_color = True


def _accept_no_color_everywhere(group: click.Group) -> None:
    """`astegni-db status --no-color` works as well as `astegni-db --no-color status`."""
    for command in group.commands.values():
        command.params.append(
            click.Option(
                ["--no-color"],
                is_flag=True,
                expose_value=False,
                callback=_set_no_color,
                help="No colours or styles (NO_COLOR is honoured too).",
            )
        )
        if isinstance(command, click.Group):
            _accept_no_color_everywhere(command)


_accept_no_color_everywhere(cli)


_INTERRUPTED = "interrupted; the running migration's transaction was rolled back"


def main() -> NoReturn:
    """Entry point: the one place errors become a message and an exit code."""
    ui = Ui()
    try:
        cli.main(standalone_mode=False, obj=ui)
    except AstegniError as exc:
        _fail(ui, exc.message, exc.hint, exc.exit_code)
    except click.exceptions.Abort as exc:
        # Click turns Ctrl-C into Abort too; only a declined confirmation is a plain abort.
        if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
            _fail(ui, _INTERRUPTED, None, 130)
        _fail(ui, "aborted", None, ExitCode.FAILURE)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _fail(ui, _INTERRUPTED, None, 130)
    except Exception as exc:  # a bug: still one line and no password
        if os.environ.get("ASTEGNI_DB_DEBUG"):
            raise
        _fail(
            ui,
            f"internal error: {type(exc).__name__}: {exc} (set ASTEGNI_DB_DEBUG=1 for a traceback)",
            None,
            ExitCode.FAILURE,
        )
    sys.exit(0)


def _fail(ui: Ui, message: str, hint: str | None, code: int) -> NoReturn:
    from astegni_db.settings import KNOWN_SECRETS, scrub

    secrets = tuple(sorted(KNOWN_SECRETS, key=len, reverse=True))
    message = scrub(" ".join(message.split()), secrets)
    if ui.fmt == "json" and not ui.wrote_json:
        ui.json({"version": 1, "ok": False, "error": {"exit_code": int(code), "message": message}})
    ui.say(f"error: {message}", style="bold red")
    if hint:
        ui.say(f"hint: {scrub(hint, secrets)}")
    sys.exit(int(code))
