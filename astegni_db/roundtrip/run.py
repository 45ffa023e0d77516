"""`astegni-db check`: the whole migration lifecycle on a throwaway server, in one command.

Phases: start a server and a database, optionally load a schema dump or a
legacy state, migrate, verify, roll every migration back, prove nothing of
ours is left, migrate again, verify again, and when the start held rows,
prove they were kept (rows.py). Each phase passes, fails or is skipped (never
silently); the report's exit code is the first failure's.

After every migration and every rollback the schema is snapshotted (and,
after migrations, verified), which is what lets a failure name its
migration: the rollback that left objects behind, the migration after which
the verify failure first appeared.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from astegni_db.disposable.server import Server
from astegni_db.errors import AstegniError, ConfigError, ExitCode
from astegni_db.migrating import commands
from astegni_db.migrating.attempts import Event
from astegni_db.project.migration_files import load_migration_files
from astegni_db.project.queries import load_queries
from astegni_db.project.spec import load_spec
from astegni_db.roundtrip.objects import ObjectDiff, Snapshot, diff, snapshot
from astegni_db.roundtrip.report import CheckReport, PhaseResult
from astegni_db.roundtrip.rollbacks import plan_rollbacks
from astegni_db.roundtrip.rows import (
    RowsSnapshot,
    held_rows,
    rows_changed_by_round_trip,
    rows_lost_by_migrating,
    rows_snapshot,
)
from astegni_db.settings import DatabaseTarget, dbname_of
from astegni_db.verify.run import verify

FindingKey = tuple[str, str, str, str]  # table, kind, object, actual


@dataclass
class _Step:
    migration: str
    schema: Snapshot
    failing: frozenset[FindingKey] = frozenset()


@dataclass
class _Tracker:
    """Receives the engine's progress events; snapshots the schema after each step."""

    target: DatabaseTarget
    verify_after: Callable[[], frozenset[FindingKey]] | None = None
    applied: list[_Step] = field(default_factory=list)
    rolled_back: list[_Step] = field(default_factory=list)
    current: str | None = None

    def on_event(self, event: Event) -> None:
        if event.kind == "start":
            self.current = event.migration_id
        if event.kind != "done":
            return
        step = _Step(event.migration_id, snapshot(self.target))
        if event.direction == "apply":
            if self.verify_after is not None:
                step.failing = self.verify_after()
            self.applied.append(step)
        else:
            self.rolled_back.append(step)
        self.current = None


@dataclass
class _RowsWatch:
    """The start's rows, and the rows right after the first migrate (see rows.py)."""

    start: RowsSnapshot = field(default_factory=dict)
    migrated: RowsSnapshot = field(default_factory=dict)

    @property
    def held_any(self) -> bool:
        return held_rows(self.start) > 0


class _Phases:
    def __init__(self, report: CheckReport) -> None:
        self.report = report
        self.stopped: str | None = None  # why the remaining phases cannot run

    @contextlib.contextmanager
    def run(
        self, name: str, *, migration: Callable[[], str | None] = lambda: None
    ) -> Iterator[PhaseResult]:
        """Time a phase; an AstegniError fails it (and stops the rest) with its exit code."""
        result = PhaseResult(name, "pass")
        started = time.perf_counter()
        try:
            yield result
        except AstegniError as exc:
            result.status, result.exit_code = "fail", exc.exit_code
            result.detail = exc.message
            result.migration = migration()
            self.stopped = f"{name} failed"
        finally:
            result.duration_ms = (time.perf_counter() - started) * 1000
            self.report.phases.append(result)

    def skip(self, name: str, reason: str) -> None:
        self.report.phases.append(PhaseResult(name, "skip", detail=reason))

    @staticmethod
    def fail(result: PhaseResult, detail: str, code: ExitCode, lines: list[str]) -> None:
        result.status, result.exit_code, result.detail, result.lines = "fail", code, detail, lines


def run_check(
    migrations_dir: Path,
    spec_path: Path,
    queries_dir: Path | None,
    *,
    backend: str | None = None,
    from_dump: Path | None = None,
    with_data: bool = False,
    legacy_state: str | None = None,
    strict: bool = False,
    round_trip: bool = True,
) -> CheckReport:
    """Run every phase on a throwaway server and return the report (it owns the exit code).

    Bad input (no migrations, unreadable spec, both a dump and a legacy state,
    a dump with rows without ``with_data``) raises ConfigError before anything
    starts.
    """
    from astegni_db.disposable import start_server
    from astegni_db.roundtrip.fixtures import read_dump, refuse_meta_commands, tables_with_rows

    if from_dump is not None and legacy_state is not None:
        raise ConfigError("--from-dump and --legacy-state cannot be combined")
    if with_data and from_dump is None:
        raise ConfigError("--with-data loads a dump's rows: give --from-dump too")
    sql_fixture = from_dump or (
        Path(legacy_state) if legacy_state and legacy_state.endswith(".sql") else None
    )
    if sql_fixture is not None:
        # Before a server starts: a crafted file is bad input, one line and exit 2.
        refuse_meta_commands(read_dump(sql_fixture), sql_fixture)
    if from_dump is not None and not with_data:
        filled = tables_with_rows(read_dump(from_dump))
        if filled:
            shown = ", ".join(filled[:3]) + (f" and {len(filled) - 3} more" if filled[3:] else "")
            raise ConfigError(
                f"{from_dump} holds rows for {len(filled)} table(s) ({shown}); "
                "--from-dump expects a schema-only dump",
                hint="pass --with-data to load the rows and prove the round trip keeps them, "
                "or dump with pg_dump --schema-only",
            )
    migrations = load_migration_files(migrations_dir)
    if not migrations:
        raise ConfigError(f"no migrations found in {migrations_dir}")
    load_spec(spec_path)
    if queries_dir is not None:
        load_queries(queries_dir)

    report = CheckReport()
    if from_dump is not None:
        report.started_from = f"the dump {from_dump.name}"
    elif legacy_state is not None:
        report.started_from = f"the legacy state {legacy_state}"
    phases = _Phases(report)
    with contextlib.ExitStack() as stack:
        # Replaced by the first phase; unused when it fails (every later phase is skipped).
        target = DatabaseTarget(url="", source="(no server started)")
        with phases.run("start server") as result:
            server = stack.enter_context(start_server(backend))
            report.backend = server.backend
            target = stack.enter_context(_new_database(server))
            result.detail = f"{server.backend} server, a new database"
        if from_dump is not None or legacy_state is not None:
            _load_fixture(phases, target, from_dump, legacy_state)
        rows = _RowsWatch()
        _lifecycle(phases, target, migrations_dir, spec_path, queries_dir, strict, round_trip, rows)
        if rows.held_any:
            _rows_kept_phase(phases, target, rows, round_trip)
    return report


@contextlib.contextmanager
def _new_database(server: Server) -> Iterator[DatabaseTarget]:
    """A database of our own on ``server``, dropped whatever happens."""
    from astegni_db.disposable import temporary_database

    database = temporary_database(server, purpose="check")
    try:
        url = database.__enter__()
    except AstegniError as exc:
        raise type(exc)(f"cannot create the check database: {exc.message}", hint=exc.hint) from None
    try:
        yield server.target(dbname_of(url))
    finally:
        database.__exit__(None, None, None)  # dropped whatever happened


def _load_fixture(
    phases: _Phases, target: DatabaseTarget, from_dump: Path | None, legacy_state: str | None
) -> None:
    from astegni_db.roundtrip.fixtures import load_dump, load_legacy_state

    if phases.stopped:
        phases.skip("load fixture", f"skipped: {phases.stopped}")
        return
    with phases.run("load fixture") as result:
        if from_dump is not None:
            result.detail = load_dump(target, from_dump)
        elif legacy_state is not None:
            result.detail = load_legacy_state(target, legacy_state)


def _lifecycle(
    phases: _Phases,
    target: DatabaseTarget,
    migrations_dir: Path,
    spec_path: Path,
    queries_dir: Path | None,
    strict: bool,
    round_trip: bool,
    rows: _RowsWatch,
) -> None:
    def failing_now() -> frozenset[FindingKey]:
        try:
            found = verify(target, spec_path, queries_dir, strict=strict)
        except AstegniError:
            return frozenset()  # the verify phase itself will report it
        return frozenset((f.table, f.kind, f.object, f.actual) for f in found.failing)

    names = [
        "migrate",
        "verify",
        "rollback",
        "clean after rollback",
        "migrate again",
        "verify again",
    ]
    if phases.stopped:
        for name in names:
            phases.skip(name, f"skipped: {phases.stopped}")
        return
    before: Snapshot = {}
    first = _Tracker(target, failing_now)
    with phases.run("migrate", migration=lambda: first.current) as result:
        before = snapshot(target)
        rows.start = rows_snapshot(target)
        applied = commands.migrate(target, migrations_dir, on_event=first.on_event).applied
        result.detail = f"applied {len(applied)} migration(s)"
        result.lines = [f"{r.migration_id}: {r.duration_ms:.0f} ms" for r in applied]
        if rows.held_any:
            rows.migrated = rows_snapshot(target, digest=True, columns_of=rows.start)
    if phases.stopped:
        for name in names[1:]:
            phases.skip(name, f"skipped: {phases.stopped}")
        return
    _verify_phase(phases, "verify", target, spec_path, queries_dir, strict, first.applied)
    if not round_trip:
        for name in names[2:]:
            phases.skip(name, "skipped: round trip disabled (--no-round-trip)")
        return
    restored_exactly = _rollback_phases(phases, target, migrations_dir, before, first)
    if phases.stopped:
        for name in names[4:]:
            phases.skip(name, f"skipped: {phases.stopped}")
        return
    again = _Tracker(target, failing_now)
    with phases.run("migrate again", migration=lambda: again.current) as result:
        reapplied = commands.migrate(target, migrations_dir, on_event=again.on_event).applied
        result.detail = f"applied {len(reapplied)} migration(s) again"
        if not restored_exactly:
            # The rollback did not restore the schema it started from, so the
            # second run starts elsewhere and may end elsewhere too.
            result.detail += "; not compared with the first run (its start state is gone)"
            changed = ObjectDiff()
        elif first.applied:
            changed = diff(first.applied[-1].schema, snapshot(target))
        else:
            changed = ObjectDiff()
        if changed.left_behind or changed.removed or changed.changed:
            phases.fail(
                result,
                "re-applying after the rollback gives a different schema than the first time",
                ExitCode.FAILURE,
                changed.lines(),
            )
    if phases.stopped:
        phases.skip("verify again", f"skipped: {phases.stopped}")
        return
    _verify_phase(phases, "verify again", target, spec_path, queries_dir, strict, again.applied)


def _rows_kept_phase(
    phases: _Phases, target: DatabaseTarget, rows: _RowsWatch, round_trip: bool
) -> None:
    """Only when the start held rows: none lost by migrating, none changed by the
    round trip (see rows.py)."""
    if phases.stopped:
        phases.skip("rows kept", f"skipped: {phases.stopped}")
        return
    with phases.run("rows kept") as result:
        lines = rows_lost_by_migrating(rows.start, rows.migrated)
        if round_trip:
            final = rows_snapshot(target, digest=True, columns_of=rows.migrated)
            lines += rows_changed_by_round_trip(rows.migrated, final)
        tables = sum(1 for t in rows.start.values() if t.rows)
        held = f"{held_rows(rows.start)} row(s) in {tables} table(s)"
        if lines:
            detail = f"rows the start held were lost or changed ({held})"
            phases.fail(result, detail, ExitCode.FAILURE, lines)
            return
        result.detail = (
            f"{held}: none lost by migrating, all identical after the round trip"
            if round_trip
            else f"{held}: none lost by migrating"
        )


def _verify_phase(
    phases: _Phases,
    name: str,
    target: DatabaseTarget,
    spec_path: Path,
    queries_dir: Path | None,
    strict: bool,
    history: list[_Step],
) -> None:
    with phases.run(name) as result:
        found = verify(target, spec_path, queries_dir, strict=strict)
        result.detail = found.summary_line()
        if found.ok:
            return
        blamed: dict[str, list[str]] = {}
        for finding in found.failing:
            key = (finding.table, finding.kind, finding.object, finding.actual)
            culprit = _introduced_by(key, history)
            blamed.setdefault(culprit or "?", []).append(finding.message)
        culprits = sorted(m for m in blamed if m != "?")
        phases.fail(
            result,
            f"schema differs from the spec after migrating ({len(found.failing)} failing "
            f"check(s)); first seen after {', '.join(culprits) or 'an unknown step'}",
            ExitCode.SCHEMA_MISMATCH,
            [f"[{m}] {msg}" for m, messages in sorted(blamed.items()) for msg in messages],
        )
        result.migration = ", ".join(culprits) or None


def _introduced_by(key: FindingKey, history: list[_Step]) -> str | None:
    """The migration after which ``key`` appeared and stayed until the end."""
    culprit = None
    for step in reversed(history):
        if key not in step.failing:
            break
        culprit = step.migration
    return culprit


def _rollback_phases(
    phases: _Phases,
    target: DatabaseTarget,
    migrations_dir: Path,
    before: Snapshot,
    first: _Tracker,
) -> bool:
    """Roll back as far as the start allows and compare; True when the schema is exactly
    what it was before the migrations that were rolled back."""
    files = {mf.id: mf for mf in load_migration_files(migrations_dir)}
    back = _Tracker(target)
    kept_state = before
    with phases.run("rollback") as result:
        plan = plan_rollbacks(
            target, before, [(step.migration, step.schema) for step in first.applied], files
        )
        if plan.kept is not None:
            kept_state = next(s.schema for s in first.applied if s.migration == plan.kept)
        error: AstegniError | None = None
        if plan.roll_back:
            selection = (
                commands.RollbackSelection(all=True)
                if plan.kept is None
                else commands.RollbackSelection(to=plan.kept)
            )
            try:
                commands.rollback(target, migrations_dir, selection, on_event=back.on_event)
            except AstegniError as exc:
                error = exc
        failing_step = back.current
        result.detail = f"rolled back {len(back.rolled_back)} migration(s)"
        if plan.kept is not None:
            result.detail += f"; {plan.kept} and older stay applied ({plan.reason})"
        # A rollback that left something behind often makes an older one fail
        # (a leftover foreign key blocks the baseline's DROP TABLE): blame the
        # one that left it, and say what failed after.
        not_undone = _rollbacks_not_undone(before, first.applied, back.rolled_back)
        if not_undone:
            names = [m for m, _ in not_undone]
            detail = f"rollback of {', '.join(names)} does not undo the migration"
            if error is not None:
                detail += f"; then the rollback of {failing_step} failed: {error.message}"
            phases.fail(
                result,
                detail,
                ExitCode.FAILURE,
                [line for _, lines in not_undone for line in lines],
            )
            result.migration = ", ".join(names)
        if error is not None:
            phases.stopped = "rollback failed"
            if not not_undone:
                phases.fail(result, error.message, error.exit_code, [])
                result.migration = failing_step
    if phases.stopped:
        phases.skip("clean after rollback", f"skipped: {phases.stopped}")
        return False
    final = diff(kept_state, snapshot(target))
    with phases.run("clean after rollback") as result:
        if final.undone and not final.removed:
            if plan.kept is not None:
                result.detail = f"the schema is exactly as right after {plan.kept} again"
            elif before:
                result.detail = "the schema is exactly the starting point's again"
            else:
                result.detail = "no objects of ours remain"
            return True
        phases.fail(
            result,
            f"{len(final.left_behind) + len(final.changed) + len(final.removed)} object(s) "
            "differ from before the rolled-back migrations",
            ExitCode.FAILURE,
            final.lines(),
        )
    return False


def _rollbacks_not_undone(
    start: Snapshot, applied: list[_Step], rolled_back: list[_Step]
) -> list[tuple[str, list[str]]]:
    """Per rolled-back migration (newest first), what it failed to undo.

    Rolling back migration k must bring the schema back to what it was before
    k was applied, objects that were there before the first migration (from a
    dump or legacy state) included; leftovers inherited unchanged from a newer
    rollback are blamed on that one only.
    """
    before_apply: dict[str, Snapshot] = {}
    previous = start
    for step in applied:
        before_apply[step.migration] = previous
        previous = step.schema
    problems: list[tuple[str, list[str]]] = []
    newer_state = previous
    newer_problems: set[str] = set()
    for step in rolled_back:
        expected = before_apply.get(step.migration)
        if expected is None:
            newer_state = step.schema
            continue
        found = diff(expected, step.schema)
        keys = set(found.left_behind) | set(found.changed) | set(found.removed)
        inherited = {k for k in keys & newer_problems if step.schema.get(k) == newer_state.get(k)}
        own = sorted(keys - inherited)
        if own:
            problems.append(
                (
                    step.migration,
                    [f"{step.migration}: {_describe(k, expected, step.schema)}" for k in own],
                )
            )
        newer_problems, newer_state = keys, step.schema
    return problems


def _describe(key: str, expected: Snapshot, found: Snapshot) -> str:
    if key not in expected:
        return f"left behind: {key}"
    if key not in found:
        return f"dropped although an earlier migration created it: {key}"
    return f"still changed: {key} ({expected[key] or '-'} -> {found[key] or '-'})"
