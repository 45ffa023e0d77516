"""The verify Report (it owns the exit code) and its four renderers.

- table: rich, grouped by table, for a terminal;
- text: the same content as plain lines, for pipes and logs;
- json: the stable shape documented in docs/verify.md (every check, passing too);
- junit: one testsuite per table, one testcase per check, <failure> for errors.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal, TextIO

from astegni_db.errors import ExitCode
from astegni_db.verify.findings import STATUSES, Finding, Status

Format = Literal["table", "text", "json", "junit"]
FORMATS: tuple[Format, ...] = ("table", "text", "json", "junit")
JSON_VERSION = 1


@dataclass
class Report:
    checks: list[Finding] = field(default_factory=list)
    strict: bool = False  # notes (extra columns, extra indexes...) fail too

    def count(self, status: Status) -> int:
        return sum(1 for check in self.checks if check.status == status)

    @property
    def failing(self) -> list[Finding]:
        return [check for check in self.checks if self.fails(check)]

    def fails(self, check: Finding) -> bool:
        return check.status == "error" or (self.strict and check.status == "note")

    @property
    def ok(self) -> bool:
        return not self.failing

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.ok else ExitCode.SCHEMA_MISMATCH

    def summary(self) -> dict[str, int]:
        return {"checks": len(self.checks)} | {status: self.count(status) for status in STATUSES}

    def summary_line(self) -> str:
        counts = self.summary()
        verdict = "schema matches the spec" if self.ok else "SCHEMA MISMATCH"
        strict = " (strict: notes fail)" if self.strict else ""
        return (
            f"{verdict}{strict}: {counts['checks']} checks, {counts['ok']} ok, "
            f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['note']} note(s)"
        )

    def by_table(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = {}
        for check in self.checks:
            groups.setdefault(check.table, []).append(check)
        return groups


def render(report: Report, fmt: Format, stream: TextIO) -> None:
    renderers = {
        "table": _render_table,
        "text": _render_text,
        "json": _render_json,
        "junit": _render_junit,
    }
    renderers[fmt](report, stream)


def auto_format(stream: TextIO) -> Format:
    """A rich table for a person at a terminal, plain text for pipes and files."""
    isatty = getattr(stream, "isatty", None)
    return "table" if isatty is not None and isatty() else "text"


def _problems(checks: Iterable[Finding]) -> list[Finding]:
    return [check for check in checks if check.status != "ok"]


def _render_text(report: Report, stream: TextIO) -> None:
    for table, checks in report.by_table().items():
        problems = _problems(checks)
        stream.write(f"{table}: {len(checks) - len(problems)}/{len(checks)} checks ok\n")
        for check in problems:
            stream.write(f"  {check.status.upper():7} {check.kind:11} {check.message}\n")
    stream.write(report.summary_line() + "\n")


_STYLES = {"error": "bold red", "warning": "yellow", "note": "cyan", "ok": "green"}


def _render_table(report: Report, stream: TextIO) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(file=stream, highlight=False)
    for table, checks in report.by_table().items():
        problems = _problems(checks)
        grid = Table(
            title=f"{table}: {len(checks) - len(problems)}/{len(checks)} checks ok",
            title_justify="left",
            show_header=bool(problems),
            expand=False,
        )
        if not problems:
            console.print(grid.title, style="green")
            continue
        for header in ("status", "kind", "object", "expected", "found"):
            grid.add_column(header, overflow="fold")
        for check in problems:
            grid.add_row(
                f"[{_STYLES[check.status]}]{check.status}[/]",
                check.kind,
                check.object,
                check.expected,
                check.actual,
            )
        console.print(grid)
    console.print(report.summary_line(), style="green" if report.ok else "bold red")


def report_as_json(report: Report) -> dict[str, object]:
    return {
        "version": JSON_VERSION,
        "ok": report.ok,
        "strict": report.strict,
        "summary": report.summary(),
        "checks": [
            {
                "table": check.table,
                "object": check.object,
                "kind": check.kind,
                "expected": check.expected,
                "actual": check.actual,
                "status": check.status,
                "message": check.message,
            }
            for check in report.checks
        ],
    }


def _render_json(report: Report, stream: TextIO) -> None:
    json.dump(report_as_json(report), stream, indent=2)
    stream.write("\n")


def _render_junit(report: Report, stream: TextIO) -> None:
    suites = ET.Element(
        "testsuites",
        name="astegni-db verify",
        tests=str(len(report.checks)),
        failures=str(len(report.failing)),
    )
    for table, checks in report.by_table().items():
        failures = [check for check in checks if report.fails(check)]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=table,
            tests=str(len(checks)),
            failures=str(len(failures)),
            errors="0",
            skipped="0",
        )
        for check in checks:
            case = ET.SubElement(
                suite, "testcase", classname=f"{table}.{check.kind}", name=check.object
            )
            if report.fails(check):
                failure = ET.SubElement(case, "failure", type=check.kind, message=check.message)
                failure.text = f"expected: {check.expected}\nfound: {check.actual}"
            elif check.status != "ok":
                # Warnings and notes do not fail the build but stay visible in CI.
                out = ET.SubElement(case, "system-out")
                out.text = f"{check.status}: {check.message}"
    ET.indent(suites)
    stream.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    stream.write(ET.tostring(suites, encoding="unicode"))
    stream.write("\n")
