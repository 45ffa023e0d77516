"""What a plan is made of: steps it automates, procedures it leaves to a person,
and differences it reports but keeps; and how steps become migration files.

A step belongs to one of three phases, each its own migration file, because
what is safe on a busy table differs between them:

- ``schema``: catalog-only DDL, in one transaction with a short lock_timeout
  (ACCESS EXCLUSIVE for milliseconds): columns added nullable, defaults and
  nullability, comments, constraints added NOT VALID, tables created or renamed;
- ``indexes``: ``CREATE/DROP INDEX CONCURRENTLY`` in a ``-- transactional: false``
  migration, so writes go on during the build;
- ``validate``: ``VALIDATE CONSTRAINT`` (SHARE UPDATE EXCLUSIVE: reads and
  writes go on during the scan), then what needs a validated constraint first
  (SET NOT NULL, PRIMARY KEY USING INDEX).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

Phase = Literal["schema", "indexes", "validate"]
PHASES: tuple[Phase, ...] = ("schema", "indexes", "validate")

# The suffix each phase's file gets after the migration's name, and its header.
_PHASE_FILES: dict[Phase, tuple[str, str]] = {
    "schema": (
        "",
        "Catalog-only changes, in one transaction: each statement holds its lock\n"
        "for milliseconds and never scans or rewrites a table.",
    ),
    "indexes": (
        "_indexes",
        "Indexes, built and dropped CONCURRENTLY: reads and writes go on. PostgreSQL\n"
        "refuses CONCURRENTLY inside a transaction, hence the directive; every\n"
        "statement is re-runnable (IF [NOT] EXISTS), and astegni-db drops an INVALID\n"
        "index a failed build leaves before it retries.",
    ),
    "validate": (
        "_validate",
        "Validation of the constraints the first migration added NOT VALID: the scan\n"
        "holds SHARE UPDATE EXCLUSIVE, so reads and writes go on.",
    ),
}


class Step(NamedTuple):
    """One difference closed by SQL the plan writes."""

    phase: Phase
    table: str
    object: str  # what verify names, e.g. "tutoring_sessions.duration"
    difference: str  # what verify found, e.g. "default: expected 60, found no default"
    action: str  # what the SQL does, in words
    lock: str  # the lock it takes and for how long
    forward: tuple[str, ...]  # statements, in order
    rollback: tuple[str, ...] = ()  # statements undoing this step, in order
    consequence: str = ""  # what changes for the application or old code, if anything


class Manual(NamedTuple):
    """A difference the plan must not automate: a named procedure for a person."""

    table: str
    object: str
    difference: str
    procedure: str  # its name, e.g. "move the table aside, then migrate"
    why: str
    instructions: tuple[str, ...]  # what to do, SQL included where it helps


class Kept(NamedTuple):
    """A difference reported and left in place (extra columns, tables, indexes)."""

    table: str
    object: str
    difference: str
    why: str  # why it stays, and the flag that would drop it


class MigrationText(NamedTuple):
    phase: Phase
    migration_id: str
    forward: str
    rollback: str


def render_migrations(
    steps: Sequence[Step], first_number: int, name: str, depends_on: str | None, summary: str
) -> list[MigrationText]:
    """The migration files (text) for ``steps``: one per phase that has steps, numbered
    from ``first_number``, each depending on the one before."""
    texts: list[MigrationText] = []
    number = first_number
    previous = depends_on
    for phase in PHASES:
        in_phase = [step for step in steps if step.phase == phase]
        if not in_phase:
            continue
        suffix, header = _PHASE_FILES[phase]
        migration_id = f"{number:04d}_{name}{suffix}"
        texts.append(
            MigrationText(
                phase,
                migration_id,
                _forward_text(in_phase, phase, header, summary, previous),
                _rollback_text(in_phase, phase, migration_id),
            )
        )
        previous = migration_id
        number += 1
    return texts


def _comment(text: str) -> str:
    return "".join(f"-- {line}".rstrip() + "\n" for line in text.splitlines())


def _forward_text(
    steps: Sequence[Step], phase: Phase, header: str, summary: str, depends_on: str | None
) -> str:
    parts = []
    if phase == "indexes":
        parts.append("-- transactional: false\n--\n")
    parts.append(_comment(f"Written by `astegni-db plan`: {summary}\n\n{header}"))
    if depends_on:
        parts.append(f"-- depends: {depends_on}\n")
    for step in steps:
        parts.append("\n" + _comment(f"{step.object}: {step.difference}"))
        parts.append(_comment(f"{step.action}; {step.lock}."))
        if step.consequence:
            parts.append(_comment(f"Behaviour: {step.consequence}."))
        parts += [f"{statement}\n" for statement in step.forward]
    return "".join(parts)


def _rollback_text(steps: Sequence[Step], phase: Phase, migration_id: str) -> str:
    parts = []
    if phase == "indexes":
        parts.append("-- transactional: false\n--\n")
    parts.append(_comment(f"Roll back {migration_id}, newest step first."))
    undone = [step for step in reversed(steps) if step.rollback]
    if not undone:
        parts.append(
            _comment(
                "\nNothing to undo: validating a constraint changes no definition, and a\n"
                "constraint cannot be made NOT VALID again."
            )
        )
        parts.append("SELECT 1;\n")
    for step in undone:
        parts.append("\n" + _comment(f"Undo: {step.action}."))
        parts += [f"{statement}\n" for statement in step.rollback]
    return "".join(parts)
