"""The verify report: every finding, passing ones too, and the exit code they add up to.

Renders as a rich table grouped by table (for a terminal), the same content as
plain lines (pipes and logs), the JSON shape documented in docs/verify.md,
and JUnit (one testsuite per table, one testcase per finding).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TextIO

from astegni_db.errors import ExitCode
from astegni_db.reporting import JunitCase, JunitFailure, JunitSuite
from astegni_db.verify.findings import STATUSES, VALUE_KINDS, Finding, Status

if TYPE_CHECKING:
    from astegni_db.output import Ui

Format = Literal["table", "text", "json", "junit"]
FORMATS: tuple[Format, ...] = ("table", "text", "json", "junit")
_STYLES = {"error": "bold red", "warning": "yellow", "note": "cyan", "ok": "green"}


@dataclass
class VerifyReport:
    command: ClassVar[str] = "verify"

    findings: list[Finding] = field(default_factory=list)
    strict: bool = False  # notes and schema warnings fail too (see fails)
    as_table: bool = False  # text drawn as rich tables (the "table" format)

    def count(self, status: Status) -> int:
        return sum(1 for finding in self.findings if finding.status == status)

    @property
    def failing(self) -> list[Finding]:
        return [finding for finding in self.findings if self.fails(finding)]

    def fails(self, finding: Finding) -> bool:
        """Whether ``finding`` fails this run: the one severity rule of verify.

        Errors always fail. Under --strict, notes and schema warnings (comment
        wording, NOT VALID constraints) fail too; warnings about values (kind
        "data": rows outside the documented sets, rows the role may not read)
        never do, since no schema change the deploy could make would fix them.
        """
        if finding.status == "error":
            return True
        if not self.strict or finding.status == "ok":
            return False
        return finding.status == "note" or finding.kind not in VALUE_KINDS

    @property
    def ok(self) -> bool:
        return not self.failing

    @property
    def exit_code(self) -> ExitCode:
        return ExitCode.OK if self.ok else ExitCode.SCHEMA_MISMATCH

    def summary(self) -> dict[str, int]:
        return {"checks": len(self.findings)} | {status: self.count(status) for status in STATUSES}

    def summary_line(self) -> str:
        counts = self.summary()
        verdict = "schema matches the spec" if self.ok else "SCHEMA MISMATCH"
        line = (
            f"{verdict}: {counts['checks']} checks, {counts['ok']} ok, "
            f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['note']} note(s)"
        )
        if self.strict:
            # Under --strict the failures are not just the errors: say how many.
            line += f"; strict: {len(self.failing)} failing (notes and schema warnings fail)"
        return line

    def by_table(self) -> dict[str, list[Finding]]:
        groups: dict[str, list[Finding]] = {}
        for finding in self.findings:
            groups.setdefault(finding.table, []).append(finding)
        return groups

    def json_body(self) -> dict[str, Any]:
        return {
            "strict": self.strict,
            "summary": self.summary(),
            "checks": [
                {
                    "table": f.table,
                    "object": f.object,
                    "kind": f.kind,
                    "expected": f.expected,
                    "actual": f.actual,
                    "status": f.status,
                    "fails": self.fails(f),
                    "message": f.message,
                }
                for f in self.findings
            ],
        }

    def write_text(self, ui: Ui) -> None:
        if self.as_table:
            self._write_tables(ui)
            return
        lines = []
        for table, findings in self.by_table().items():
            problems = _problems(findings)
            lines.append(f"{table}: {len(findings) - len(problems)}/{len(findings)} checks ok")
            lines += [f"  {f.status.upper():7} {f.kind:11} {f.message}" for f in problems]
        lines.append(self.summary_line())
        ui.write("".join(line + "\n" for line in lines))

    def _write_tables(self, ui: Ui) -> None:
        from rich.console import Console
        from rich.table import Table

        console = Console(file=ui.out_stream, highlight=False)
        for table, findings in self.by_table().items():
            problems = _problems(findings)
            title = f"{table}: {len(findings) - len(problems)}/{len(findings)} checks ok"
            if not problems:
                console.print(title, style="green")
                continue
            grid = Table(title=title, title_justify="left", expand=False)
            for header in ("status", "kind", "object", "expected", "found"):
                grid.add_column(header, overflow="fold")
            for f in problems:
                grid.add_row(
                    f"[{_STYLES[f.status]}]{f.status}[/]", f.kind, f.object, f.expected, f.actual
                )
            console.print(grid)
        console.print(self.summary_line(), style="green" if self.ok else "bold red")

    def junit_suites(self) -> list[JunitSuite]:
        return [
            JunitSuite(table, [self._junit_case(table, f) for f in findings])
            for table, findings in self.by_table().items()
        ]

    def _junit_case(self, table: str, finding: Finding) -> JunitCase:
        failure = None
        if self.fails(finding):
            failure = JunitFailure(
                finding.message,
                finding.kind,
                f"expected: {finding.expected}\nfound: {finding.actual}",
            )
        # Warnings and notes do not fail the build (unless strict) but stay visible
        # in CI; every non-ok case names its severity for tools that read it.
        output = None
        properties: tuple[tuple[str, str], ...] = ()
        if finding.status != "ok":
            output = f"{finding.status}: {finding.message}"
            properties = (("severity", finding.status),)
        return JunitCase(
            f"{table}.{finding.kind}",
            finding.object,
            failure=failure,
            output=output,
            properties=properties,
        )


def auto_format(stream: TextIO) -> Format:
    """A rich table for a person at a terminal, plain text for pipes and files."""
    isatty = getattr(stream, "isatty", None)
    return "table" if isatty is not None and isatty() else "text"


def _problems(findings: list[Finding]) -> list[Finding]:
    return [finding for finding in findings if finding.status != "ok"]
