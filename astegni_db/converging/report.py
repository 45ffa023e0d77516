"""The plan report: every step with why it is safe, every manual procedure, what stays.

Exit code: 0 when the plan closes every difference it found (or there was
none); 6 when some difference needs a person (a Manual procedure), written
files or not, so a pipeline cannot mistake a partial plan for convergence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from astegni_db.converging.steps import Kept, Manual, MigrationText, Step
from astegni_db.errors import ExitCode

if TYPE_CHECKING:
    from astegni_db.output import Ui


@dataclass
class PlanReport:
    command: ClassVar[str] = "plan"

    steps: list[Step]
    manual: list[Manual]
    kept: list[Kept]
    migrations: list[MigrationText]
    migrations_dir: Path
    written: list[Path] = field(default_factory=list)
    shown: bool = False  # the plan was printed before the question; print only the outcome
    declined: bool = False

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.SCHEMA_MISMATCH if self.manual else ExitCode.OK

    def summary_line(self) -> str:
        if not self.steps and not self.manual:
            kept = f" ({len(self.kept)} extra object(s) kept)" if self.kept else ""
            return f"plan: the database matches the spec; nothing to write{kept}"
        files = len(self.migrations)
        parts = [f"{len(self.steps)} step(s) in {files} migration(s)"]
        if self.manual:
            parts.append(f"{len(self.manual)} difference(s) need a person")
        if self.kept:
            parts.append(f"{len(self.kept)} extra object(s) kept")
        return "plan: " + ", ".join(parts)

    def json_body(self) -> dict[str, Any]:
        return {
            "summary": {
                "steps": len(self.steps),
                "manual": len(self.manual),
                "kept": len(self.kept),
                "migrations": len(self.migrations),
            },
            "steps": [
                {
                    "phase": s.phase,
                    "table": s.table,
                    "object": s.object,
                    "difference": s.difference,
                    "action": s.action,
                    "lock": s.lock,
                    "consequence": s.consequence or None,
                    "sql": list(s.forward),
                    "rollback_sql": list(s.rollback),
                }
                for s in self.steps
            ],
            "manual": [m._asdict() | {"instructions": list(m.instructions)} for m in self.manual],
            "kept": [k._asdict() for k in self.kept],
            "migrations": [
                {"id": m.migration_id, "phase": m.phase, "sql": m.forward, "rollback": m.rollback}
                for m in self.migrations
            ],
            "written": [str(path) for path in self.written],
        }

    def plan_text(self) -> str:
        lines: list[str] = []
        for number, step in enumerate(self.steps, 1):
            lines.append(f"{number:>3}. {step.object}: {step.difference}")
            lines.append(f"     {step.action}")
            lines.append(f"     lock: {step.lock}")
            if step.consequence:
                lines.append(f"     behaviour: {step.consequence}")
        if self.migrations:
            lines.append("")
            lines.append(f"Migrations ({self.migrations_dir}):")
            for text in self.migrations:
                lines.append(f"  {text.migration_id}.sql ({text.phase}) and its rollback")
        for manual in self.manual:
            lines.append("")
            lines.append(f"NEEDS A PERSON: {manual.object}: {manual.difference}")
            lines.append(f"  procedure: {manual.procedure}")
            lines.append(f"  why: {manual.why}")
            lines += [f"    {instruction}" for instruction in manual.instructions]
        if self.kept:
            lines.append("")
            lines.append("Kept as they are:")
            lines += [f"  {k.object}: {k.difference}; {k.why}" for k in self.kept]
        return "".join(line + "\n" for line in lines)

    def write_text(self, ui: Ui) -> None:
        text = "" if self.shown else self.plan_text()
        if self.written:
            text += "".join(f"Wrote {path}\n" for path in self.written)
            text += "Next: astegni-db migrate   (then astegni-db verify)\n"
        elif self.migrations:
            text += "Nothing written" + (" (declined)" if self.declined else "") + ".\n"
        ui.write(text + self.summary_line() + "\n")
