"""The `astegni-db` command line: parse, resolve the database, call a verb, render its report.

The verbs live in astegni_db.api; each returns a report that owns its exit
code. Errors (AstegniError) become one line on stderr, and the exit code,
inside the command itself (:class:`AstegniCommand`), so click's CliRunner
sees exactly what a user sees. Heavy modules (psycopg, yoyo, rich) are
imported inside the commands that need them, so `--help` stays fast.

Nothing leaves without the redactor (settings.redact): errors, hints and
click's usage errors (which quote the arguments: :class:`CliUsageError`),
JSON error documents, reports and their -o/--junit files (:func:`finish`),
progress and warnings (output.Ui). A run starts by learning the passwords in
its arguments, the environment and .env (:meth:`AstegniGroup.make_context`).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeVar

import click

from astegni_db import __version__, settings
from astegni_db.errors import AstegniError, ConfigError, ExitCode
from astegni_db.output import Ui, open_output, write_rendered

if TYPE_CHECKING:
    from astegni_db.api import Confirm, MigrateOptions
    from astegni_db.fleet.runner import Job, Outcome
    from astegni_db.project.config import TargetConfig
    from astegni_db.reporting import Report
    from astegni_db.selection import PathOverrides, Selection
    from astegni_db.settings import DatabaseTarget

    # What a command does to one database (or, for lint and check, one target).
    Verb = Callable[[TargetConfig, Job], Report]

F = TypeVar("F", bound=Callable[..., Any])

EXIT_CODES_HELP = """\b
Exit codes (all commands):
  0 success, nothing to do     4 lock not acquired in time
  1 a migration/query failed   5 applied migration edited, renamed or deleted
  2 usage or configuration     6 schema differs from the spec (verify)
  3 migrations pending         7 database unreachable / login failed
                               8 a standby did not catch up in time
Several targets or databases: the worst code wins (docs/targets.md).
"""
INTERRUPTED = "interrupted; the running migration's transaction was rolled back"
EXIT_INTERRUPTED = 130


@dataclass
class CliState:
    """One run's presentation state (click's ctx.obj)."""

    ui: Ui = field(default_factory=Ui)
    command: str = "astegni-db"
    fmt: str = "text"  # "json": stdout carries one JSON document, errors included
    wrote_json: bool = False  # stdout already holds that document: never add a second
    # The shared options, gathered here as click parses them (see _store).
    database_url: str | None = None
    connect_timeout: int = settings.DEFAULT_CONNECT_TIMEOUT_S
    lock_timeout: float = settings.DEFAULT_LOCK_TIMEOUT_S
    ddl_lock_timeout: int = settings.DEFAULT_DDL_LOCK_TIMEOUT_MS
    ddl_retries: int = settings.DEFAULT_DDL_RETRIES
    junit: Path | None = None  # --junit: a JUnit copy of the report, beside the main output
    # Which databases (see selection.py and fleet/): --target, and how a run over many goes.
    target: tuple[str, ...] = ()
    fail_fast: bool = False
    concurrency: int | None = None  # None: each fleet's configured concurrency
    report_dir: Path | None = None
    resume: bool = False
    several: bool = False  # this run covers several databases (set by _run)
    shard: tuple[int, int] | None = None  # --shard K/N: this job's slice of every fleet


def _state() -> CliState:
    state: CliState = click.get_current_context().ensure_object(CliState)
    return state


def _one_line(text: str) -> str:
    """Redacted before its lines are joined (a password may hold a newline), and after."""
    return settings.redact(" ".join(settings.redact(text).split()))


class CliError(click.ClickException):
    """An AstegniError at the CLI edge: one redacted line (and a hint), its exit code."""

    def __init__(self, message: str, hint: str | None, code: int, state: CliState) -> None:
        super().__init__(_one_line(message))
        self.hint = None if hint is None else _one_line(hint)
        self.code = int(code)
        self.state = state

    @property  # click reads exit_code; it declares it a class variable, ours is per error
    def exit_code(self) -> int:  # type: ignore[override]
        return self.code

    def show(self, file: IO[Any] | None = None) -> None:
        from astegni_db.reporting import error_document, write_json

        state = self.state
        if state.fmt == "json" and not state.wrote_json:
            document = error_document(state.command, self.exit_code, self.message)
            write_rendered(sys.stdout, lambda stream: write_json(document, stream))
            state.wrote_json = True
        state.ui.say(f"error: {self.message}", style="bold red")
        if self.hint:
            state.ui.say(f"hint: {self.hint}")


class CliUsageError(CliError):
    """Click's usage error, redacted: it quotes arguments, and a URL typed in the wrong
    place (`migrate postgresql://...`) would be printed with its password.

    One line, then click's pointer to the help; exit code 2.
    """

    def __init__(self, error: click.UsageError) -> None:
        ctx = error.ctx
        state = ctx.ensure_object(CliState) if ctx is not None else CliState()
        super().__init__(error.format_message(), None, ExitCode.USAGE, state)
        self.help_hint = None
        if ctx is not None and ctx.command.get_help_option(ctx) is not None:
            help_name = max(ctx.command.get_help_option_names(ctx), key=len)
            self.help_hint = f"Try '{ctx.command_path} {help_name}' for help."

    def show(self, file: IO[Any] | None = None) -> None:
        self.state.ui.say(f"error: {self.message}", style="bold red")
        if self.help_hint:
            self.state.ui.say(self.help_hint)


@contextmanager
def _click_errors_redacted() -> Iterator[None]:
    """Click's own errors, which print what they quote as it is, as our redacted ones."""
    try:
        yield
    except (click.exceptions.NoArgsIsHelpError, CliError):
        raise  # the help text (a group run without arguments); ours, already redacted
    except click.UsageError as exc:
        raise CliUsageError(exc) from None
    except click.ClickException as exc:  # a FileError, say: it quotes a path
        ctx = click.get_current_context(silent=True)
        state = ctx.ensure_object(CliState) if ctx is not None else CliState()
        raise CliError(exc.format_message(), None, exc.exit_code, state) from None


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: IO[str] | None = None,
    line: str | None = None,
) -> None:
    """A library's Python warning, as one redacted line on stderr."""
    _current_ui().say(f"warning: {category.__name__}: {message}", style="yellow")


def _current_ui() -> Ui:
    """The run's Ui (its --no-color); a new one outside click's context (another thread)."""
    ctx = click.get_current_context(silent=True)
    return ctx.ensure_object(CliState).ui if ctx is not None else Ui()


class _RedactedLog(logging.Handler):
    """A library's log record (warning and up), as one redacted line on stderr.

    Without a handler, logging's last resort would print it as it is, and
    logger.exception a traceback with it.
    """

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # a library's bad format string; logging would print its arguments
            message = str(record.msg)
        _current_ui().say(f"warning: {record.name}: {message}", style="yellow")


@contextmanager
def _library_output_redacted() -> Iterator[None]:
    """Python warnings and log records from libraries, through the redactor."""
    root = logging.getLogger()
    handler = None if root.handlers else _RedactedLog()  # else: the embedding program's
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        if handler is not None:
            root.addHandler(handler)
        try:
            yield
        finally:
            if handler is not None:
                root.removeHandler(handler)


def _set_no_color(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        ctx.ensure_object(CliState).ui.no_color = True


def _no_color_option() -> click.Option:
    return click.Option(
        ["--no-color"],
        is_flag=True,
        expose_value=False,
        callback=_set_no_color,
        help="No colours or styles (NO_COLOR is honoured too).",
    )


class AstegniCommand(click.Command):
    """Accepts --no-color after its name; turns what it raises into one line and an exit code."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(_no_color_option())

    def invoke(self, ctx: click.Context) -> Any:
        state = ctx.ensure_object(CliState)
        state.command = (
            ctx.command_path.removeprefix(f"{ctx.find_root().info_name} ") or "astegni-db"
        )
        try:
            return super().invoke(ctx)
        except AstegniError as exc:
            raise CliError(exc.message, exc.hint, exc.exit_code, state) from None
        except click.exceptions.Abort as exc:
            # click turns Ctrl-C at a prompt into Abort too; only a declined prompt is "aborted".
            if isinstance(exc.__cause__ or exc.__context__, KeyboardInterrupt):
                raise CliError(INTERRUPTED, None, EXIT_INTERRUPTED, state) from None
            raise CliError("aborted", None, ExitCode.FAILURE, state) from None
        except KeyboardInterrupt:
            raise CliError(INTERRUPTED, None, EXIT_INTERRUPTED, state) from None
        except (click.exceptions.Exit, click.UsageError, CliError):
            raise  # the group redacts a usage error (_click_errors_redacted); ours are
        except click.ClickException as exc:  # a FileError, say: it quotes a path
            raise CliError(exc.format_message(), None, exc.exit_code, state) from None
        except Exception as exc:  # a bug: still one line, and no password
            if os.environ.get("ASTEGNI_DB_DEBUG"):
                raise
            raise CliError(
                f"internal error: {type(exc).__name__}: {exc} "
                "(set ASTEGNI_DB_DEBUG=1 for a traceback)",
                None,
                ExitCode.FAILURE,
                state,
            ) from None


class AstegniGroup(click.Group):
    """Where a run starts: its passwords are learnt before anything is parsed, and
    click's usage errors, raised while parsing or resolving a command, are redacted."""

    command_class = AstegniCommand
    group_class = type  # subgroups (dev) are AstegniGroups too

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.params.append(_no_color_option())

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        if parent is None:  # the root: a run starts (in-process callers, such as tests, run many)
            settings.forget_secrets()
            settings.remember_configured_secrets(args)
        with _click_errors_redacted():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _click_errors_redacted(), _library_output_redacted():
            return super().invoke(ctx)


# -- rendering -------------------------------------------------------------------------------


def finish(report: Report, fmt: str = "text", output: Path | None = None) -> NoReturn:
    """Write ``report`` in ``fmt`` to ``output`` (else stdout) and exit with its code."""
    state = _state()
    from astegni_db import reporting

    # `dev start` and `dev url` print the dev database's URL, password included, on
    # purpose (DATABASE_URL=$(astegni-db dev url)); every other report is redacted.
    reveal = report.command == "dev"
    if state.junit is not None:
        # Written first, so a CI step that fails still leaves its test report.
        with open_output(state.junit) as stream:
            write_rendered(stream, lambda s: reporting.render(report, "junit", s))
    with open_output(output) as stream:
        write_rendered(
            stream,
            lambda s: reporting.render(report, fmt, s, no_color=state.ui.no_color, reveal=reveal),
            reveal=reveal,
        )
    state.wrote_json = fmt == "json" and output is None
    problem = getattr(report, "problem", None)
    if report.exit_code and problem:
        raise CliError(problem, None, report.exit_code, state)
    click.get_current_context().exit(int(report.exit_code))


def _use_format(fmt: str) -> None:
    """Errors from here on are JSON documents too when the command prints JSON."""
    _state().fmt = fmt


def _selection(
    overrides: PathOverrides | None = None,
    *,
    explicit_only: str | None = None,
    one_database_flags: tuple[str, ...] = (),
) -> Selection:
    """The targets this run covers (astegni-db.toml, or the project without one)."""
    from astegni_db import selection
    from astegni_db.project.config import ProjectConfig, implicit_target

    state = _state()
    overrides = overrides or selection.PathOverrides()
    project = selection.project_here()
    if project.bundled and overrides.flags():
        # Paths named outside any project: the project they name, not the bundled one.
        project = ProjectConfig((implicit_target(),), None)
    if project.bundled:
        state.ui.say(
            f"Using {project.describe()}: there is no astegni-db.toml and no migrations/ here "
            "(run from your project, or pass --migrations-dir and --spec).",
            style="yellow",
        )
    return selection.select(
        project,
        state.target,
        overrides=overrides,
        database_url=state.database_url,
        one_database_flags=one_database_flags,
        explicit_only=explicit_only,
    )


def _refuse_writing_into_the_package(chosen: Selection, command: str, *, or_: str = "") -> None:
    """The project shipped inside the package is read-only: a migration written there
    would be applied by every later run on this machine, and lost at the next upgrade."""
    if chosen.project.bundled:
        raise ConfigError(
            f"{command} writes migration files, and there is no project here to write them "
            f"into (no astegni-db.toml, no migrations/): run it in your checkout, "
            f"or pass --migrations-dir{or_}"
        )


def _databases(chosen: Selection) -> dict[str, DatabaseTarget]:
    """Every target's URL: flag > its variable > .env; else the dev database, never under CI."""
    from astegni_db import selection

    state = _state()
    return selection.resolve_databases(
        chosen.project,
        chosen.targets,
        flag_url=state.database_url,
        connect_timeout=state.connect_timeout,
        announce=lambda note: state.ui.say(note, style="yellow"),
    )


def _overrides(**paths: Path | None) -> PathOverrides:
    from astegni_db.selection import PathOverrides

    return PathOverrides(**paths)


def _run(
    chosen: Selection,
    verb: Verb,
    fmt: str = "text",
    output: Path | None = None,
    *,
    needs_database: bool = True,
) -> NoReturn:
    """Run ``verb`` on every database ``chosen`` covers; render one report; exit.

    One database: its own report, as in a project without targets. Several:
    every URL is resolved (and every fleet listed) before the first runs, then
    they run target by target, a fleet's members ``--concurrency`` at a time,
    and one report folds them (fleet.report.ManyReport).
    """
    from astegni_db.fleet.runner import Job

    state = _state()
    state.several = not chosen.one_database
    databases = _databases(chosen) if needs_database else {}
    if chosen.one_database:
        target = chosen.targets[0]
        finish(verb(target, Job(target.name, database=databases.get(target.name))), fmt, output)
    from astegni_db import selection
    from astegni_db.fleet.report import ManyReport, done_before, write_database_report
    from astegni_db.fleet.runner import run_jobs

    if state.resume and state.report_dir is None:
        raise ConfigError("--resume reads the reports of an earlier run: pass its --report-dir")
    planned = []
    for target in chosen.targets:
        database = databases.get(target.name)
        jobs = selection.jobs_for(chosen.project, target, database)
        if state.shard is not None and target.fleet is not None:
            from astegni_db.fleet.expand import in_shard

            jobs = [job for job in jobs if in_shard(job, *state.shard)]
        planned.append((target, jobs))
    every_job = [job for _, jobs in planned for job in jobs]
    skip = set()
    if state.resume and state.report_dir is not None:
        skip = done_before(state.report_dir, state.command, every_job)
    by_name = {target.name: target for target in chosen.targets}
    ctx = click.get_current_context()

    def work(job: Job) -> Report:
        # A fleet's members run in worker threads, where click's context (which
        # _state() reads) is not set: give each the run's own.
        from click.globals import pop_context, push_context

        push_context(ctx)
        try:
            return verb(by_name[job.target], job)
        finally:
            pop_context()

    progress = _Progress(state, len(every_job), announce=fmt == "text")
    outcomes: list[Outcome] = []
    stop = threading.Event()  # --fail-fast: one failure skips every later target's jobs too
    with progress:

        def done(outcome: Outcome) -> None:
            if state.report_dir is not None:
                write_database_report(state.report_dir, state.command, outcome)
            progress.advance(outcome)

        for target, jobs in planned:
            concurrency = 1
            if target.fleet is not None:
                concurrency = state.concurrency or target.fleet.concurrency
            outcomes += run_jobs(
                jobs,
                work,
                concurrency=concurrency,
                fail_fast=state.fail_fast,
                done_before=skip,
                on_done=done,
                stop=stop,
            )
    report = ManyReport(
        state.command,
        outcomes,
        project=chosen.project.describe(),
        fleets=frozenset(t.name for t in chosen.targets if t.fleet is not None),
    )
    finish(report, fmt, output)


class _Progress:
    """A run over many databases, shown as it goes: a bar on a terminal, a line per
    database otherwise (a CI log), nothing for machine-readable output."""

    def __init__(self, state: CliState, total: int, *, announce: bool) -> None:
        self.state, self.total, self.announce = state, total, announce
        self.finished = 0
        self.bar: Any = None

    def __enter__(self) -> _Progress:
        if self.announce and self.total > 1 and self.state.ui.rich_err:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

            self.bar = Progress(
                "[progress.description]{task.description}",
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )
            self.bar.start()
            self.task = self.bar.add_task(self.state.command, total=self.total)
        return self

    def advance(self, outcome: Outcome) -> None:
        self.finished += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=1, description=outcome.job.key)
        elif self.announce:
            took = f" {outcome.seconds:.1f}s" if outcome.ran else ""
            self.state.ui.say(
                f"[{self.finished}/{self.total}] {outcome.job.key}: {outcome.status}{took}"
            )

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.stop()


def _replica_events_for(job: Job, fmt: str) -> Callable[[Any], None]:
    """The standbys' progress (waiting, replayed, lagging, a conflict warning), as it happens."""
    state = _state()
    prefix = f"[{job.key}] " if state.several else ""

    def show(event: Any) -> None:
        if fmt != "text" and event.kind != "conflict":
            return
        warning = event.kind in ("conflict", "lagging", "unreachable")
        state.ui.say(
            f"{prefix}{'warning: ' if event.kind == 'conflict' else ''}  {event.message}",
            style="yellow" if warning else None,
        )

    return show


def _no_database_job(target: TargetConfig) -> Job:
    from astegni_db.fleet.runner import Job

    return Job(target.name)


def _events_for(job: Job, fmt: str) -> Callable[[Any], None]:
    """Progress events of one database: shown, prefixed by its target in a run over
    several; not at all for JSON, or when a fleet runs databases side by side."""
    from astegni_db import api

    state = _state()
    if fmt != "text" or job.member is not None:
        return api.no_events
    prefix = f"[{job.key}] " if state.several else ""

    def show(event: Any) -> None:
        from astegni_db.migrating.reports import describe_event

        message, *style = describe_event(event)
        state.ui.say(prefix + message, *style)

    return show


def _confirm_unless(yes: bool) -> Confirm:
    """Asks on a terminal; without one, only --yes goes ahead."""

    def confirm(question: str, action: str) -> bool:
        if yes:
            return True
        if not sys.stdin.isatty():
            raise ConfigError(f"refusing to {action} without --yes (no terminal to confirm)")
        return click.confirm(settings.redact(question), err=True)

    return confirm


def _migrate_options(**flags: bool) -> MigrateOptions:
    from astegni_db.api import MigrateOptions, RetryPolicy

    state = _state()
    return MigrateOptions(
        lock_timeout_s=state.lock_timeout,
        ddl=RetryPolicy(lock_timeout_ms=state.ddl_lock_timeout, retries=state.ddl_retries),
        **flags,
    )


# -- shared options --------------------------------------------------------------------------


def _store(ctx: click.Context, param: click.Parameter, value: Any) -> None:
    """Keep a shared option in the run's state, where _target and _migrate_options read it."""
    assert param.name is not None
    setattr(ctx.ensure_object(CliState), param.name, value)


def database_options(f: F) -> F:
    """--database-url and --connect-timeout, shared by every command that connects."""
    f = click.option(
        "--database-url",
        metavar="URL",
        expose_value=False,
        callback=_store,
        help="postgresql:// URL. Default: $DATABASE_URL, then DATABASE_URL in ./.env, "
        "then the local dev database (never under CI=true).",
    )(f)
    f = click.option(
        "--connect-timeout",
        type=click.IntRange(1, 300),
        default=settings.DEFAULT_CONNECT_TIMEOUT_S,
        expose_value=False,
        callback=_store,
        show_default=True,
        help="Seconds to wait for the server to answer.",
    )(f)
    return f


def migrations_option(f: F) -> F:
    return click.option(
        "--migrations-dir",
        type=click.Path(file_okay=False, path_type=Path),
        default=None,
        envvar=settings.MIGRATIONS_DIR_ENV,
        show_default="migrations, or the target's",
        help="The yoyo migrations directory.",
    )(f)


def target_options(f: F) -> F:
    """--target (repeatable) and --fail-fast: which of astegni-db.toml's targets, and
    whether the first failing database stops the databases not yet started."""
    f = click.option(
        "--target",
        "target",
        multiple=True,
        metavar="NAME",
        expose_value=False,
        callback=_store,
        help="Run on this target of astegni-db.toml (repeatable). Default: every target.",
    )(f)
    f = click.option(
        "--fail-fast",
        is_flag=True,
        expose_value=False,
        callback=_store,
        help="After a database fails, start no other (running ones finish).",
    )(f)
    return f


def fleet_options(f: F) -> F:
    """How a run over many databases goes: concurrency, per-database reports, resuming."""
    f = target_options(f)
    f = click.option(
        "--concurrency",
        type=click.IntRange(1, 64),
        expose_value=False,
        callback=_store,
        metavar="N",
        help="Databases of a fleet worked on at once. Default: the fleet's concurrency.",
    )(f)
    f = click.option(
        "--report-dir",
        type=click.Path(file_okay=False, path_type=Path),
        expose_value=False,
        callback=_store,
        metavar="DIR",
        help="Write each database's JSON report to DIR/TARGET[/MEMBER].json as it finishes.",
    )(f)
    f = click.option(
        "--resume",
        is_flag=True,
        expose_value=False,
        callback=_store,
        help="Skip databases whose report in --report-dir says this command passed.",
    )(f)
    f = click.option(
        "--shard",
        expose_value=False,
        callback=_store_shard,
        metavar="K/N",
        help="Only the K-th of N equal slices of every fleet (1-based; by a stable hash of "
        "each database's name): one CI matrix job per slice.",
    )(f)
    return f


def _store_shard(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    if value is None:
        return
    index, slash, count = value.partition("/")
    if not (slash and index.isdigit() and count.isdigit() and 1 <= int(index) <= int(count)):
        raise click.BadParameter("expected K/N with 1 <= K <= N, e.g. 2/4", ctx, param)
    ctx.ensure_object(CliState).shard = (int(index), int(count))


def format_option(
    *choices: str, default: str | None = "text", help: str | None = None
) -> Callable[[F], F]:
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(list(choices)),
        default=default,
        show_default=default is not None,
        help=help or "text for people (rich on a terminal, plain when piped); json for scripts.",
    )


def spec_option(help: str = "The declarative schema spec.") -> Callable[[F], F]:
    return click.option(
        "--spec",
        "spec_path",
        type=click.Path(dir_okay=False, path_type=Path),
        default=None,
        show_default="checks/schema.toml, or the target's",
        help=help,
    )


def output_option(f: F) -> F:
    return click.option(
        "--output",
        "-o",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Write the report to FILE instead of stdout.",
    )(f)


def junit_option(f: F) -> F:
    """--junit FILE: the report as JUnit XML as well, for the CI system's test view."""
    return click.option(
        "--junit",
        expose_value=False,
        callback=_store,
        metavar="FILE",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Also write the report as JUnit XML to FILE (CI test reports).",
    )(f)


def lock_options(f: F) -> F:
    f = click.option(
        "--lock-timeout",
        expose_value=False,
        callback=_store,
        type=click.FloatRange(0, 86400),
        default=settings.DEFAULT_LOCK_TIMEOUT_S,
        show_default=True,
        metavar="SECONDS",
        help="How long to wait for another astegni-db run to finish (0: do not wait).",
    )(f)
    f = click.option(
        "--ddl-lock-timeout",
        expose_value=False,
        callback=_store,
        type=click.IntRange(10, 60000),
        default=settings.DEFAULT_DDL_LOCK_TIMEOUT_MS,
        show_default=True,
        metavar="MS",
        help="Longest one DDL attempt may wait for a table lock before it backs off.",
    )(f)
    f = click.option(
        "--ddl-retries",
        expose_value=False,
        callback=_store,
        type=click.IntRange(0, 100),
        default=settings.DEFAULT_DDL_RETRIES,
        show_default=True,
        help="Retries, with exponential backoff, after a DDL lock timeout.",
    )(f)
    return f


def yes_option(f: F) -> F:
    return click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")(f)


# -- commands --------------------------------------------------------------------------------


@click.group(
    cls=AstegniGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog=EXIT_CODES_HELP,
)
@click.version_option(__version__, prog_name="astegni-db")
def cli() -> None:
    """Tracked, idempotent PostgreSQL migrations and schema verification for Astegni.

    \b
    The main job, on $DATABASE_URL (or the local dev database):
      astegni-db migrate && astegni-db verify
    """


@cli.command()
@database_options
@migrations_option
@lock_options
@fleet_options
@format_option("text", "json")
@click.option("--dry-run", is_flag=True, help="Print the SQL that would run; change nothing.")
@spec_option(
    "Spec whose tables are described before and after (what changed, and its consequence)"
    " and whose documented value sets are checked after migrating (skipped if absent)."
)
@click.option(
    "--no-data-check",
    is_flag=True,
    help="Do not count legacy values outside the spec's documented sets after migrating.",
)
@click.option(
    "--data-check-timeout",
    "data_check_timeout",
    type=click.FloatRange(min=0),
    metavar="SECONDS",
    help="Stop counting legacy values after SECONDS and warn instead (default 2; "
    "0 skips the count). A big table is sampled; `verify` counts exactly.",
)
@click.option(
    "--standby",
    "standby_urls",
    multiple=True,
    metavar="URL",
    help="A hot standby of the database (repeatable): after migrating, wait for it to "
    "replay the migration, then verify it. Adds to the target's `standbys`.",
)
@click.option(
    "--standby-timeout",
    type=click.FloatRange(min=0, min_open=True),
    metavar="SECONDS",
    help="How long to wait for the standbys (default: the target's standby_timeout, 60); "
    "a standby still behind then exits 8.",
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
    migrations_dir: Path | None,
    fmt: str,
    dry_run: bool,
    spec_path: Path | None,
    no_data_check: bool,
    data_check_timeout: float | None,
    standby_urls: tuple[str, ...],
    standby_timeout: float | None,
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
      astegni-db migrate --standby postgresql://app@replica1/astegni --standby-timeout 120
    """
    from astegni_db import api, selection

    _use_format(fmt)
    chosen = _selection(_overrides(migrations_dir=migrations_dir, spec=spec_path))
    if standby_urls and not chosen.one_database:
        raise ConfigError(
            "--standby names one database's standbys, but this run covers several: "
            "add --target NAME (or list each target's in astegni-db.toml: standbys = [...])"
        )
    options = _migrate_options(accept_changes=accept_changes, allow_out_of_order=allow_out_of_order)
    timeout = _state().connect_timeout
    flagged = [
        settings.parse_database_url(url, "--standby", connect_timeout=timeout)
        for url in standby_urls
    ]

    def one(target: TargetConfig, job: Job) -> Report:
        assert job.database is not None
        if dry_run:
            planned = api.dry_run(job.database, target.migrations_dir)
            for warning in planned.warnings():
                _state().ui.say(warning, style="yellow")
            return planned
        standbys = flagged + selection.standby_databases(target, timeout)
        if standbys:
            return api.migrate_with_standbys(
                job.database,
                standbys,
                target.migrations_dir,
                options,
                on_event=_events_for(job, fmt),
                timeout_s=standby_timeout or target.standby_timeout_s,
                spec_path=target.spec,
                queries_dir=target.queries,
                data_check_timeout_s=0 if no_data_check else data_check_timeout,
                on_replica_event=_replica_events_for(job, fmt),
            )
        return api.migrate(
            job.database,
            target.migrations_dir,
            options,
            on_event=_events_for(job, fmt),
            # With a spec, what the migrations changed is always described;
            # --no-data-check only skips counting the legacy values.
            data_check_spec=target.spec,
            data_check_timeout_s=0 if no_data_check else data_check_timeout,
        )

    _run(chosen, one, fmt)


@cli.command()
@database_options
@migrations_option
@fleet_options
@format_option("text", "json")
@click.option(
    "--check",
    "gate",
    is_flag=True,
    help="Exit 3 when migrations are pending, 5 when applied ones changed (a deploy gate).",
)
def status(migrations_dir: Path | None, fmt: str, gate: bool) -> None:
    """Show applied, pending, modified, renamed and missing migrations.

    Needs only SELECT rights.

    \b
    Examples:
      astegni-db status
      astegni-db status --check   # pre-deploy gate: exit 3 if anything is pending
    """
    from astegni_db import api

    _use_format(fmt)
    chosen = _selection(_overrides(migrations_dir=migrations_dir))

    def one(target: TargetConfig, job: Job) -> Report:
        assert job.database is not None
        return api.status(job.database, target.migrations_dir, gate=gate)

    _run(chosen, one, fmt)


@cli.command()
@database_options
@migrations_option
@lock_options
@fleet_options
@click.option("--to", "to", metavar="ID", help="Roll back everything applied after ID (ID stays).")
@click.option("--all", "all_", is_flag=True, help="Roll back every applied migration.")
@click.option("--steps", type=click.IntRange(1), default=1, show_default=True)
@yes_option
def rollback(
    migrations_dir: Path | None,
    to: str | None,
    all_: bool,
    steps: int,
    yes: bool,
) -> None:
    """Roll back the last migration, or back to a named one.

    What is rolled back is chosen, shown and confirmed while the migration
    lock is held, then run in that same session. Each rollback runs with its
    bookkeeping in one transaction. The shipped rollbacks refuse to drop
    tables or columns that hold data.

    \b
    Examples:
      astegni-db rollback --yes
      astegni-db rollback --to 0001_baseline
    """
    from astegni_db import api

    selection = api.RollbackSelection(to=to, all=all_, steps=steps)  # bad combinations fail here
    chosen = _selection(_overrides(migrations_dir=migrations_dir), explicit_only="rollback")
    options, confirm = _migrate_options(), _confirm_unless(yes)

    def one(target: TargetConfig, job: Job) -> Report:
        assert job.database is not None
        return api.rollback(
            job.database,
            target.migrations_dir,
            selection,
            options,
            on_event=_events_for(job, "text"),
            confirm=confirm,
        )

    _run(chosen, one)


@cli.command()
@database_options
@migrations_option
@target_options
@yes_option
def repair(migrations_dir: Path | None, yes: bool) -> None:
    """Accept edited, renamed or deleted applied migrations as they are on disk.

    Changes only the bookkeeping (checksums, yoyo's applied list), never the
    schema. Use it after reviewing `astegni-db status`.
    """
    from astegni_db import api

    chosen = _selection(_overrides(migrations_dir=migrations_dir), explicit_only="repair")
    confirm = _confirm_unless(yes)

    def one(target: TargetConfig, job: Job) -> Report:
        assert job.database is not None
        return api.repair(job.database, target.migrations_dir, confirm=confirm)

    _run(chosen, one)


@cli.command()
@migrations_option
@click.option(
    "--target",
    "target_name",
    metavar="NAME",
    help="The target of astegni-db.toml whose migrations get the file (if it has several).",
)
@click.argument("name")
def new(migrations_dir: Path | None, target_name: str | None, name: str) -> None:
    """Scaffold the next numbered migration and its rollback file.

    \b
    Example:
      astegni-db new add_session_location_index
    """
    from astegni_db import api

    _state().target = (target_name,) if target_name else ()
    chosen = _selection(_overrides(migrations_dir=migrations_dir), explicit_only="new")
    _refuse_writing_into_the_package(chosen, "new")
    finish(api.new(chosen.targets[0].migrations_dir, name))


@cli.command()
@database_options
@spec_option()
@output_option
@click.option(
    "--queries",
    "queries_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    show_default="checks/queries, or the target's",
    help="The application's queries, checked against the live schema (never run on data).",
)
@fleet_options
@click.option("--no-queries", is_flag=True, help="Skip the application-query checks.")
@click.option(
    "--strict",
    is_flag=True,
    help="Notes (columns, indexes the spec does not know, legacy copies) and schema warnings"
    " (comment wording, NOT VALID) fail too; warnings about values never fail.",
)
@format_option(
    "table",
    "text",
    "json",
    "junit",
    default=None,
    help="Default: a table on a terminal, plain text when piped.",
)
@junit_option
def verify(
    spec_path: Path | None,
    output: Path | None,
    queries_dir: Path | None,
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
      astegni-db verify --junit verify.xml   # the text, and a JUnit report for CI
      astegni-db verify --format json | jq '.checks[] | select(.status=="error")'
    """
    from astegni_db import api
    from astegni_db.verify.report import auto_format

    _use_format("json" if fmt == "json" else "text")
    chosen = _selection(_overrides(spec=spec_path, queries=queries_dir))
    shown = fmt or ("text" if output is not None else auto_format(sys.stdout))

    def one(target: TargetConfig, job: Job) -> Report:
        assert job.database is not None
        queries = None if no_queries else target.queries
        report = api.verify(job.database, target.spec, queries, strict=strict)
        report.as_table = shown == "table"
        return report

    _run(chosen, one, "text" if shown == "table" else shown, output)


@cli.command()
@database_options
@spec_option()
@output_option
@fleet_options
def inspect(spec_path: Path | None, output: Path | None) -> None:
    """Print the live schema of the spec's tables in the spec's own format.

    \b
    Example (review drift, or adopt an existing database):
      astegni-db inspect -o live.toml && diff checks/schema.toml live.toml
    """
    from astegni_db import api

    chosen = _selection(_overrides(spec=spec_path))

    def one(target: TargetConfig, job: Job) -> Report:
        assert job.database is not None
        return api.inspect(job.database, target.spec)

    _run(chosen, one, output=output)


@cli.command()
@database_options
@spec_option()
@migrations_option
@target_options
@click.option(
    "--name",
    default=None,
    metavar="NAME",
    help="The new migrations' name (default: converge_to_spec).",
)
@click.option("--dry-run", is_flag=True, help="Print the plan and its SQL; write nothing.")
@click.option(
    "--drop-extra",
    is_flag=True,
    help="Also drop extra columns (their values are lost: the plan shows how many), "
    "extra indexes, and extra tables while they are empty.",
)
@click.option(
    "--move-aside",
    "move_aside",
    multiple=True,
    metavar="TABLE",
    help="Rename the live TABLE, which has another table's shape, out of the spec's way "
    "(every row kept) and create the spec's table (repeatable).",
)
@click.option(
    "--allow-rewrite",
    is_flag=True,
    help="Allow type changes that rewrite the table, for columns that hold no value.",
)
@yes_option
@format_option("text", "json")
def plan(
    spec_path: Path | None,
    migrations_dir: Path | None,
    name: str | None,
    dry_run: bool,
    drop_extra: bool,
    move_aside: tuple[str, ...],
    allow_rewrite: bool,
    yes: bool,
    fmt: str,
) -> None:
    """Write the migrations that bring the live database to the spec.

    Reads the database (read-only) and the spec, then shows every step: what
    differs, the SQL that closes it, the lock it takes and what changes for the
    application. Every step is safe on a busy table: catalog-only DDL,
    constraints added NOT VALID and validated in a later migration, indexes built
    CONCURRENTLY. Nothing holding data is dropped unless --drop-extra says so.
    Differences that need a person get a named procedure (exit 6). The files are
    linted, then written after a confirmation (--yes without a terminal).

    \b
    Examples:
      astegni-db plan --dry-run
      astegni-db plan --yes && astegni-db migrate && astegni-db verify
      astegni-db plan --move-aside tutor_teaching_schedules
    """
    from astegni_db import api
    from astegni_db.converging.planner import PlanOptions

    _use_format(fmt)
    options = PlanOptions(
        drop_extra=drop_extra, allow_rewrite=allow_rewrite, move_aside=frozenset(move_aside)
    )
    chosen = _selection(_overrides(spec=spec_path, migrations_dir=migrations_dir))
    if not dry_run:
        _refuse_writing_into_the_package(chosen, "plan", or_=" (--dry-run writes nothing)")
    confirm = _confirm_unless(yes)

    def one(target: TargetConfig, job: Job) -> Report:
        assert job.database is not None
        report = api.plan(
            job.database,
            target.spec,
            target.migrations_dir,
            options,
            name=name,
            queries_dir=target.queries,
        )
        if dry_run and fmt == "text":
            _state().ui.write(report.plan_text())
            for text in report.migrations:
                _state().ui.write(
                    f"\n-- {text.migration_id}.sql\n{text.forward}"
                    f"\n-- {text.migration_id}.rollback.sql\n{text.rollback}"
                )
            report.shown = True
        elif report.migrations and not dry_run:
            if fmt == "text":
                _state().ui.write(report.plan_text())
                report.shown = True
            question = f"Write {len(report.migrations)} migration(s) into {target.migrations_dir}?"
            if confirm(question, "write the plan"):
                api.write_plan(report)
            else:
                report.declined = True
        return report

    _run(chosen, one, fmt)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
@migrations_option
@target_options
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
@format_option(
    "text",
    "json",
    "gitlab",
    "github",
    help="text for people; json; gitlab (Code Quality); github (pull-request annotations).",
)
@output_option
def lint(
    paths: tuple[Path, ...],
    migrations_dir: Path | None,
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
      astegni-db lint --format github   # in a GitHub Actions step: findings on the diff
    """
    from astegni_db import api

    _use_format("json" if fmt in ("json", "gitlab") else "text")
    if paths and not _state().target:  # files named: linted as they always were
        finish(api.lint(list(paths), runner=runner, disabled=disabled), fmt, output)  # type: ignore[arg-type]
    chosen = _selection(_overrides(migrations_dir=migrations_dir))

    def one(target: TargetConfig, job: Job) -> Report:
        return api.lint(
            list(paths) or [target.migrations_dir],
            spec_path=target.spec,
            queries_dir=target.queries,
            runner=runner,  # type: ignore[arg-type]
            disabled=disabled,
        )

    if fmt in ("gitlab", "github") and not chosen.one_database:
        # One Code Quality file, one set of annotations: every target's findings together.
        from astegni_db.lint.report import LintReport

        reports = [one(target, _no_database_job(target)) for target in chosen.targets]
        merged = LintReport()
        for report in reports:
            assert isinstance(report, LintReport)
            merged.findings += report.findings
            merged.files += report.files
            merged.silenced += report.silenced
            merged.notes += report.notes
        finish(merged, fmt, output)
    _run(chosen, one, fmt, output, needs_database=False)


@cli.command()
@migrations_option
@spec_option()
@output_option
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
    "--with-data",
    is_flag=True,
    help="The dump holds rows: load them too, and prove the round trip keeps every one.",
)
@click.option(
    "--legacy-state",
    metavar="MODULE:FUNCTION",
    help="Start from a database built by this Python callable (it receives the URL).",
)
@click.option(
    "--strict",
    is_flag=True,
    help="Verify strictly: notes and schema warnings fail too (as verify --strict).",
)
@click.option("--no-round-trip", is_flag=True, help="Skip the rollback and re-apply phases.")
@target_options
@format_option("text", "json")
@junit_option
def check(
    migrations_dir: Path | None,
    spec_path: Path | None,
    output: Path | None,
    backend: str | None,
    from_dump: Path | None,
    with_data: bool,
    legacy_state: str | None,
    strict: bool,
    no_round_trip: bool,
    fmt: str,
) -> None:
    """One-shot CI check on a throwaway PostgreSQL: migrate, verify, roll back, re-apply.

    Applies every migration, verifies, rolls every migration back, proves none
    of our objects remain, applies again and verifies again. One summary, one
    exit code (the first failing phase's).

    \b
    Examples:
      astegni-db check --junit check.xml
      astegni-db check --from-dump prod-schema.sql
      astegni-db check --from-dump staging.sql --with-data   # a dump with rows
    """
    from astegni_db import api

    _use_format(fmt)
    starting_point: tuple[str, ...] = ("--from-dump",) if from_dump else ()
    starting_point += ("--legacy-state",) if legacy_state else ()
    chosen = _selection(
        _overrides(migrations_dir=migrations_dir, spec=spec_path),
        one_database_flags=starting_point,
    )

    def one(target: TargetConfig, job: Job) -> Report:
        return api.check(
            target.migrations_dir,
            target.spec,
            target.queries,
            backend=backend,
            from_dump=from_dump,
            with_data=with_data,
            legacy_state=legacy_state,
            strict=strict,
            round_trip=not no_round_trip,
        )

    _run(chosen, one, fmt, output, needs_database=False)


@cli.group(cls=AstegniGroup)
def dev() -> None:
    """The local development database under ./.astegni-db/dev (never used under CI=true).

    With no --database-url, no DATABASE_URL and no .env, migrate, status and
    verify start it on demand and use it.
    """


def _dev_databases() -> tuple[Path | None, list[tuple[str, str]]]:
    """Where the dev database lives, and (variable, database) per selected target;
    no pairs for a project without targets (its one database, astegni_dev)."""
    from astegni_db import devdb, selection

    project = selection.project_here()
    if not project.configured or project.bundled:
        if _state().target:
            project.select(_state().target)  # an unknown name fails as everywhere else
        return None, []
    targets = project.select(_state().target)
    pairs = [(t.url_env, devdb.database_for(t.name)) for t in targets]
    return selection.dev_project_dir(project), pairs


def _dev_target_option(f: F) -> F:
    return click.option(
        "--target",
        multiple=True,
        metavar="NAME",
        expose_value=False,
        callback=_store,
        help="Only this target's dev database (repeatable). Default: every target's.",
    )(f)


@dev.command("start")
@_dev_target_option
def dev_start() -> None:
    """Start the dev database (create it on first use) and print its URL.

    With targets in astegni-db.toml: one database per target on the one
    server, printed as VARIABLE=URL lines (a .env for every target).
    """
    from astegni_db import api

    finish(api.dev_start(*_dev_databases()))


@dev.command("url")
@_dev_target_option
def dev_url() -> None:
    """Print the dev database's URL (with its local password), for DATABASE_URL=$(...)."""
    from astegni_db import api

    finish(api.dev_url(*_dev_databases()))


@dev.command("stop")
def dev_stop() -> None:
    """Stop the dev database's server; its data stays for the next start."""
    from astegni_db import api

    finish(api.dev_stop(_dev_databases()[0]))


@dev.command("reset")
@_dev_target_option
@yes_option
def dev_reset(yes: bool) -> None:
    """Drop and recreate the dev database (empty, nothing applied); every target's."""
    from astegni_db import api

    project_dir, databases = _dev_databases()
    finish(api.dev_reset(project_dir, confirm=_confirm_unless(yes), databases=databases))


@dev.command("status")
def dev_status() -> None:
    """Whether the dev database exists and runs, and where it lives."""
    from astegni_db import api

    finish(api.dev_status(_dev_databases()[0]))


def main() -> NoReturn:
    """Entry point (``astegni-db`` and ``python -m astegni_db``)."""
    cli.main(prog_name="astegni-db")
    sys.exit(0)  # cli.main exits itself; this satisfies NoReturn
