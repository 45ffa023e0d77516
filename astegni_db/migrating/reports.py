"""What the migration verbs return: reports that own their exit codes and render themselves.

Text goes to people (results on stdout, notes on stderr); ``json_body`` is
the command's part of the one JSON envelope (astegni_db/reporting.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from astegni_db.errors import ExitCode
from astegni_db.migrating.attempts import Event, StepResult
from astegni_db.migrating.plan import Entry, Plan

if TYPE_CHECKING:
    from astegni_db.output import Ui


def describe_event(event: Event) -> tuple[str, str | None]:
    """Progress as it happens, for a person watching: (line, style)."""
    verb = "applying" if event.direction == "apply" else "rolling back"
    if event.kind == "start":
        return f"  {verb} {event.migration_id} ...", None
    if event.kind == "retry":
        return f"  {event.migration_id}: attempt {event.attempt}: {event.detail}", "yellow"
    done = "applied" if event.direction == "apply" else "rolled back"
    tries = f", attempt {event.attempt}" if event.attempt > 1 else ""
    return f"  {event.migration_id} {done} in {event.duration_ms:.0f} ms{tries}", "green"


class BehaviourChange(Protocol):
    """One change in how a table behaves, with its consequence (verify/changes.Change is one).

    A protocol, so that the migration engine renders what the verify layer
    describes without importing it.
    """

    @property
    def table(self) -> str: ...
    @property
    def column(self) -> str | None: ...
    @property
    def change(self) -> str: ...
    @property
    def before(self) -> str | None: ...
    @property
    def after(self) -> str | None: ...
    @property
    def consequence(self) -> str: ...

    def describe(self) -> str: ...


@dataclass
class MigrateReport:
    command: ClassVar[str] = "migrate"

    database: str  # redacted URL
    dbname: str
    applied: list[StepResult]
    plan_before: Plan
    adopted: list[str]  # applied earlier by another tool; checksum recorded now
    repaired: list[str]
    duration_ms: float
    # What the migrations changed in the spec's tables, and what that means for
    # the application (empty unless migrate was given a spec and applied something).
    behaviour_changes: list[BehaviourChange] = field(default_factory=list)
    behaviour_warnings: list[str] = field(default_factory=list)  # why they went undescribed
    data_warnings: list[str] = field(default_factory=list)  # filled in by api.migrate
    exit_code: ExitCode = ExitCode.OK

    @property
    def notices(self) -> list[str]:
        return [f"{r.migration_id}: {n}" for r in self.applied for n in r.notices]

    def json_body(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "applied": [
                {
                    "id": r.migration_id,
                    "duration_ms": round(r.duration_ms, 1),
                    "attempts": r.attempts,
                }
                for r in self.applied
            ],
            "already_applied": len(self.plan_before.entries) - len(self.plan_before.pending),
            "adopted": self.adopted,
            "repaired": self.repaired,
            "notices": self.notices,
            "behaviour_changes": [
                {
                    "table": c.table,
                    "column": c.column,
                    "change": c.change,
                    "before": c.before,
                    "after": c.after,
                    "consequence": c.consequence,
                }
                for c in self.behaviour_changes
            ],
            "behaviour_warnings": self.behaviour_warnings,
            "data_warnings": self.data_warnings,
            "duration_ms": round(self.duration_ms, 1),
        }

    def summary_line(self) -> str:
        """One line for a run over many databases (the final table)."""
        if not self.applied:
            return "up to date"
        return f"applied {len(self.applied)} migration(s) in {self.duration_ms:.0f} ms"

    def write_text(self, ui: Ui) -> None:
        for line in self.repaired + [f"recorded the checksum of {i}" for i in self.adopted]:
            ui.say(f"  {line}")
        for notice in self.notices:
            ui.say(f"  {notice}", style="yellow")
        # On stdout, with the result: what the application will notice is part
        # of what this run did (a dropped default makes old code write NULL).
        if self.behaviour_changes:
            ui.out("changed behaviour:")
        for change in self.behaviour_changes:
            ui.out(f"  {change.describe()}")
        for warning in self.behaviour_warnings:
            ui.say(f"  changed behaviour: {warning}", "yellow")
        for warning in self.data_warnings:
            ui.say(f"  data warning: {warning} (kept as is; see `astegni-db verify`)", "yellow")
        if self.applied:
            ui.out(
                f"Applied {len(self.applied)} migration(s) to {self.dbname} "
                f"in {self.duration_ms:.0f} ms.",
                style="bold green",
            )
        else:
            ui.out(f"Nothing to apply: {self.dbname} is up to date.", style="green")


@dataclass
class DryRunReport:
    command: ClassVar[str] = "migrate"

    database: str
    dbname: str
    plan: Plan
    exit_code: ExitCode = ExitCode.OK

    @property
    def pending(self) -> list[Entry]:
        return [e for e in self.plan.pending if e.file is not None]

    def json_body(self) -> dict[str, Any]:
        return {
            "database": self.database,
            "dry_run": True,
            "pending": [
                {"id": e.id, "path": str(e.file.path), "sql": e.file.text}
                for e in self.pending
                if e.file is not None
            ],
        }

    def write_text(self, ui: Ui) -> None:
        if not self.pending:
            ui.out(f"-- Nothing to apply: {self.dbname} is up to date.")
            return
        for e in self.pending:
            assert e.file is not None
            ui.out(f"-- {e.id} ({e.file.path})")
            ui.out(e.file.text.rstrip() + "\n")
        ui.say(f"Dry run: {len(self.pending)} migration(s) would be applied; nothing was changed.")

    def warnings(self) -> list[str]:
        """Said on stderr in every format: migrate itself would refuse this plan."""
        if not self.plan.problems:
            return []
        return [f"warning: {self.plan.describe_problems()} (migrate will refuse)"]


@dataclass
class StatusReport:
    command: ClassVar[str] = "status"

    plan: Plan
    gate: bool = False  # status --check: pending and changed migrations fail

    @property
    def exit_code(self) -> ExitCode:
        if not self.gate:
            return ExitCode.OK
        if self.plan.problems:
            return ExitCode.INTEGRITY
        if self.plan.pending:
            return ExitCode.PENDING
        return ExitCode.OK

    @property
    def problem(self) -> str | None:
        """Why the gate failed, for the one `error:` line."""
        if self.exit_code == ExitCode.INTEGRITY:
            return f"applied migrations changed on disk: {self.plan.describe_problems()}"
        if self.exit_code == ExitCode.PENDING:
            return f"{len(self.plan.pending)} migration(s) pending"
        return None

    def json_body(self) -> dict[str, Any]:
        return {
            "migrations": [
                {
                    "id": e.id,
                    "state": str(e.state),
                    "applied_at": e.applied_at.isoformat() if e.applied_at else None,
                    "renamed_from": e.renamed_from,
                    "out_of_order": e.out_of_order,
                    "progress": [
                        {
                            "direction": p.direction,
                            "statement": p.statement_no,
                            "of": p.statements,
                            "line": p.line,
                            "state": p.state,
                            "error": p.error,
                        }
                        for p in e.progress
                    ],
                }
                for e in self.plan.entries
            ],
            "pending": len(self.plan.pending),
            "problems": len(self.plan.problems),
        }

    def summary_line(self) -> str:
        applied = len(self.plan.entries) - len(self.plan.pending)
        pending, changed = len(self.plan.pending), len(self.plan.problems)
        return f"{applied} applied, {pending} pending, {changed} changed"

    def write_text(self, ui: Ui) -> None:
        rows = []
        for e in self.plan.entries:
            note = f"was {e.renamed_from}" if e.renamed_from else ""
            if e.out_of_order:
                note = "sorts before applied migrations"
            if e.progress:
                note = "; ".join(filter(None, [note, e.describe_progress()]))
            applied = e.applied_at.strftime("%Y-%m-%d %H:%M:%S") if e.applied_at else "-"
            rows.append([e.id, str(e.state), applied, note])
        if not rows:
            ui.out("No migrations found.")
            return
        ui.table("Migrations", ["id", "state", "applied (UTC)", "note"], rows)
        ui.out(
            f"{len(self.plan.entries) - len(self.plan.pending)} applied, "
            f"{len(self.plan.pending)} pending, {len(self.plan.problems)} changed on disk."
        )


@dataclass
class RollbackReport:
    command: ClassVar[str] = "rollback"

    rolled_back: list[StepResult]
    duration_ms: float
    exit_code: ExitCode = ExitCode.OK

    def json_body(self) -> dict[str, Any]:
        return {
            "rolled_back": [
                {
                    "id": r.migration_id,
                    "duration_ms": round(r.duration_ms, 1),
                    "attempts": r.attempts,
                }
                for r in self.rolled_back
            ],
            "duration_ms": round(self.duration_ms, 1),
        }

    def write_text(self, ui: Ui) -> None:
        if not self.rolled_back:
            ui.out("Nothing to roll back.")
            return
        ui.out(
            f"Rolled back {len(self.rolled_back)} migration(s) in {self.duration_ms:.0f} ms.",
            style="bold green",
        )


@dataclass
class RepairReport:
    command: ClassVar[str] = "repair"

    done: list[str]
    exit_code: ExitCode = ExitCode.OK

    def json_body(self) -> dict[str, Any]:
        return {"repaired": self.done}

    def write_text(self, ui: Ui) -> None:
        if not self.done:
            ui.out("Nothing to repair.")
        for line in self.done:
            ui.out(f"  {line}")


@dataclass(frozen=True)
class NewMigrationReport:
    command: ClassVar[str] = "new"

    forward: Path
    rollback: Path
    exit_code: ExitCode = ExitCode.OK

    def json_body(self) -> dict[str, Any]:
        return {"created": [str(self.forward), str(self.rollback)]}

    def write_text(self, ui: Ui) -> None:
        ui.out(f"Created {self.forward}\nCreated {self.rollback}")
