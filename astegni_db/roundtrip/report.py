"""The check report: one result per phase, one exit code.

- text: a line per phase and the details of failures, for CI logs;
- json: every phase with status, timing and details;
- junit: one testcase per phase (failure / skipped), for CI test reports.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from astegni_db.errors import ExitCode
from astegni_db.reporting import JunitCase, JunitFailure, JunitSuite

if TYPE_CHECKING:
    from astegni_db.output import Ui

PhaseStatus = Literal["pass", "fail", "skip"]


@dataclass
class PhaseResult:
    name: str
    status: PhaseStatus
    duration_ms: float = 0.0
    detail: str = ""  # one line: what happened, or why it failed
    lines: list[str] = field(default_factory=list)  # leftover objects, failing checks ...
    exit_code: ExitCode = ExitCode.OK
    migration: str | None = None  # the migration a failure is blamed on


@dataclass
class CheckReport:
    command: ClassVar[str] = "check"

    phases: list[PhaseResult] = field(default_factory=list)
    backend: str = ""
    started_from: str = "an empty database"

    @property
    def failed(self) -> list[PhaseResult]:
        return [p for p in self.phases if p.status == "fail"]

    @property
    def ok(self) -> bool:
        return not self.failed

    @property
    def exit_code(self) -> ExitCode:
        """The first failing phase's code (e.g. 1 migration failed, 6 verify mismatch)."""
        return self.failed[0].exit_code if self.failed else ExitCode.OK

    @property
    def duration_ms(self) -> float:
        return sum(p.duration_ms for p in self.phases)

    def summary_line(self) -> str:
        passed = sum(1 for p in self.phases if p.status == "pass")
        skipped = sum(1 for p in self.phases if p.status == "skip")
        verdict = "check passed" if self.ok else f"CHECK FAILED at {self.failed[0].name}"
        if self.failed and self.failed[0].migration:
            verdict += f" ({self.failed[0].migration})"
        return (
            f"{verdict}: {passed} passed, {len(self.failed)} failed, {skipped} skipped "
            f"in {self.duration_ms / 1000:.1f} s (from {self.started_from}, {self.backend} server)"
        )

    def json_body(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "started_from": self.started_from,
            "duration_ms": round(self.duration_ms, 1),
            "phases": [
                {
                    "name": p.name,
                    "status": p.status,
                    "duration_ms": round(p.duration_ms, 1),
                    "detail": p.detail,
                    "lines": p.lines,
                    "exit_code": int(p.exit_code),
                    "migration": p.migration,
                }
                for p in self.phases
            ],
        }

    def write_text(self, ui: Ui) -> None:
        lines = []
        for phase in self.phases:
            lines.append(
                f"{phase.status.upper():4}  {phase.name:<22} {phase.duration_ms:8.0f} ms  "
                f"{phase.detail}"
            )
            if phase.status != "pass":
                lines += [f"        {line}" for line in phase.lines]
        lines.append(self.summary_line())
        ui.write("".join(line + "\n" for line in lines))

    def junit_suites(self) -> list[JunitSuite]:
        cases = []
        for number, phase in enumerate(self.phases, start=1):
            failure = skipped = output = None
            if phase.status == "fail":
                text = "\n".join(phase.lines) or phase.detail
                failure = JunitFailure(phase.detail, phase.name, text)
            elif phase.status == "skip":
                skipped = phase.detail
            else:
                output = phase.detail or None
            cases.append(
                JunitCase(
                    "astegni-db.check",
                    f"{number:02d} {phase.name}",
                    phase.duration_ms / 1000,
                    failure=failure,
                    skipped=skipped,
                    output=output,
                )
            )
        return [JunitSuite("astegni-db check", cases, self.duration_ms / 1000)]
