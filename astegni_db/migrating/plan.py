"""Files on disk against bookkeeping in the database: what is applied, pending or wrong."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from astegni_db.migrating.bookkeeping import AppliedMigration, StatementProgress
from astegni_db.project.migration_files import MigrationFile


class State(StrEnum):
    APPLIED = "applied"
    PENDING = "pending"
    MODIFIED = "modified"  # applied, and the file changed since
    MISSING = "missing"  # applied, and the file is gone
    RENAMED = "renamed"  # applied under another name: same content, new file name
    UNTRACKED = "untracked"  # applied by another tool; no checksum recorded yet


PROBLEM_STATES = frozenset({State.MODIFIED, State.MISSING, State.RENAMED})


@dataclass(frozen=True)
class Entry:
    id: str
    state: State
    file: MigrationFile | None = None
    applied_at: datetime | None = None
    recorded_checksum: str | None = None
    renamed_from: str | None = None
    out_of_order: bool = False  # pending, yet sorts before an applied migration
    # A non-transactional run of it that did not finish: which statements ran.
    progress: tuple[StatementProgress, ...] = ()

    def describe_progress(self) -> str:
        """ "apply stopped: statements 1-2 of 3 ran; 3 (line 7) failed: ..." or ""."""
        if not self.progress:
            return ""
        last = self.progress[-1]
        done = [p.statement_no for p in self.progress if p.state == "done"]
        ran = (
            f"statement(s) {done[0]}-{done[-1]} of {last.statements} ran"
            if len(done) > 1
            else f"statement {done[0]} of {last.statements} ran"
            if done
            else f"none of its {last.statements} statement(s) finished"
        )
        if last.state == "failed":
            stopped = f"{last.statement_no} (line {last.line}) failed: {last.error}"
        elif last.state == "running":
            stopped = f"{last.statement_no} (line {last.line}) did not finish (interrupted)"
        else:
            stopped = "it was interrupted before it was recorded"
        return f"{last.direction} stopped: {ran}; {stopped}"


@dataclass(frozen=True)
class Plan:
    entries: list[Entry] = field(default_factory=list)

    def having(self, *states: State) -> list[Entry]:
        return [e for e in self.entries if e.state in states]

    @property
    def pending(self) -> list[Entry]:
        return self.having(State.PENDING)

    @property
    def problems(self) -> list[Entry]:
        return [e for e in self.entries if e.state in PROBLEM_STATES]

    @property
    def out_of_order(self) -> list[Entry]:
        return [e for e in self.pending if e.out_of_order]

    def describe_problems(self) -> str:
        parts = []
        for e in self.problems:
            if e.state is State.RENAMED:
                parts.append(f"{e.renamed_from} renamed to {e.id}")
            elif e.state is State.MODIFIED:
                parts.append(f"{e.id} edited after it was applied")
            else:
                parts.append(f"{e.id} applied but its file is gone")
        return "; ".join(parts)


def build_plan(
    files: list[MigrationFile],
    applied: list[AppliedMigration],
    progress: dict[str, list[StatementProgress]] | None = None,
) -> Plan:
    progress = progress or {}
    by_id = {f.id: f for f in files}
    applied_ids = {a.id for a in applied}
    # A file that was renamed shows up as a missing applied migration plus a
    # pending file with the same content; pair them up so both read as one.
    missing_by_checksum = {
        a.checksum: a for a in applied if a.id not in by_id and a.checksum is not None
    }
    renamed: dict[str, AppliedMigration] = {}
    for pending_file in files:
        if pending_file.id not in applied_ids and pending_file.checksum in missing_by_checksum:
            renamed[pending_file.id] = missing_by_checksum.pop(pending_file.checksum)
    renamed_old_ids = {a.id for a in renamed.values()}
    newest_applied = max((a.id for a in applied if a.id in by_id), default="")

    entries: list[Entry] = []
    for a in applied:
        if a.id in renamed_old_ids:
            continue
        f = by_id.get(a.id)
        if f is None:
            state = State.MISSING
        elif a.checksum is None:
            state = State.UNTRACKED
        elif a.checksum != f.checksum:
            state = State.MODIFIED
        else:
            state = State.APPLIED
        entries.append(
            Entry(a.id, state, f, a.applied_at, a.checksum, progress=_progress_of(progress, a.id))
        )
    for pending_file in files:
        if pending_file.id in applied_ids:
            continue
        old = renamed.get(pending_file.id)
        if old is not None:
            entries.append(
                Entry(
                    pending_file.id,
                    State.RENAMED,
                    pending_file,
                    old.applied_at,
                    old.checksum,
                    renamed_from=old.id,
                )
            )
        else:
            entries.append(
                Entry(
                    pending_file.id,
                    State.PENDING,
                    pending_file,
                    out_of_order=pending_file.id < newest_applied,
                    progress=_progress_of(progress, pending_file.id),
                )
            )
    return Plan(entries)


def _progress_of(
    progress: dict[str, list[StatementProgress]], migration_id: str
) -> tuple[StatementProgress, ...]:
    return tuple(progress.get(migration_id, ()))
