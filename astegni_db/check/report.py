"""The check report: one result per phase, one exit code, and its renderers.

- text: a line per phase and the details of failures, for CI logs;
- json: every phase with status, timing and details;
- junit: one testcase per phase (failure / skipped), for CI test reports.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Literal, TextIO

from astegni_db.errors import ExitCode

PhaseStatus = Literal["pass", "fail", "skip"]
Format = Literal["text", "json", "junit"]
FORMATS: tuple[Format, ...] = ("text", "json", "junit")
JSON_VERSION = 1


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


def render(report: CheckReport, fmt: Format, stream: TextIO) -> None:
    {"text": _render_text, "json": _render_json, "junit": _render_junit}[fmt](report, stream)


def _render_text(report: CheckReport, stream: TextIO) -> None:
    for phase in report.phases:
        stream.write(
            f"{phase.status.upper():4}  {phase.name:<22} {phase.duration_ms:8.0f} ms  "
            f"{phase.detail}\n"
        )
        if phase.status != "pass":
            for line in phase.lines:
                stream.write(f"        {line}\n")
    stream.write(report.summary_line() + "\n")


def _render_json(report: CheckReport, stream: TextIO) -> None:
    payload = {
        "version": JSON_VERSION,
        "ok": report.ok,
        "exit_code": int(report.exit_code),
        "backend": report.backend,
        "started_from": report.started_from,
        "duration_ms": round(report.duration_ms, 1),
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
            for p in report.phases
        ],
    }
    json.dump(payload, stream, indent=2)
    stream.write("\n")


def _render_junit(report: CheckReport, stream: TextIO) -> None:
    suite = ET.Element(
        "testsuite",
        name="astegni-db check",
        tests=str(len(report.phases)),
        failures=str(len(report.failed)),
        errors="0",
        skipped=str(sum(1 for p in report.phases if p.status == "skip")),
        time=f"{report.duration_ms / 1000:.3f}",
    )
    for number, phase in enumerate(report.phases, start=1):
        case = ET.SubElement(
            suite,
            "testcase",
            classname="astegni-db.check",
            name=f"{number:02d} {phase.name}",
            time=f"{phase.duration_ms / 1000:.3f}",
        )
        if phase.status == "fail":
            failure = ET.SubElement(case, "failure", message=phase.detail, type=phase.name)
            failure.text = "\n".join(phase.lines) or phase.detail
        elif phase.status == "skip":
            ET.SubElement(case, "skipped", message=phase.detail)
        elif phase.detail:
            ET.SubElement(case, "system-out").text = phase.detail
    suites = ET.Element("testsuites", name="astegni-db check")
    suites.append(suite)
    ET.indent(suites)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(suites, encoding="unicode"))
    stream.write("\n")
