"""The lint report (it owns the exit code) and its renderers: text, json, gitlab.

``gitlab`` is GitLab's Code Quality format (a JSON array of issues), so merge
requests show the findings inline.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Literal, TextIO

from astegni_db.errors import ExitCode

Format = Literal["text", "json", "gitlab"]
FORMATS: tuple[Format, ...] = ("text", "json", "gitlab")
JSON_VERSION = 1


@dataclass(frozen=True)
class Finding:
    rule: str  # AD101 ...
    name: str  # volatile-default ...
    file: str
    line: int
    message: str  # why it is dangerous
    suggestion: str  # what to write instead

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.rule}:{self.file}:{self.message}".encode()).hexdigest()


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    silenced: int = 0
    notes: list[str] = field(default_factory=list)  # files skipped, checks/ not found ...

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def exit_code(self) -> ExitCode:
        """0 clean, 1 findings (bad paths and unreadable files raise ConfigError: 2)."""
        return ExitCode.OK if self.ok else ExitCode.FAILURE

    def summary_line(self) -> str:
        silenced = f", {self.silenced} silenced" if self.silenced else ""
        verdict = "no unsafe migrations" if self.ok else f"{len(self.findings)} finding(s)"
        return f"lint: {verdict} in {len(self.files)} file(s){silenced}"


def render(report: LintReport, fmt: Format, stream: TextIO) -> None:
    {"text": _render_text, "json": _render_json, "gitlab": _render_gitlab}[fmt](report, stream)


def _render_text(report: LintReport, stream: TextIO) -> None:
    for f in report.findings:
        stream.write(f"{f.file}:{f.line}: {f.rule} {f.name}: {f.message}\n")
        stream.write(f"    instead: {f.suggestion}\n")
        stream.write(
            f"    (accepted risk? `-- astegni-db: ignore {f.rule}` above it; docs/lint.md)\n"
        )
    for note in report.notes:
        stream.write(f"note: {note}\n")
    stream.write(report.summary_line() + "\n")


def _render_json(report: LintReport, stream: TextIO) -> None:
    payload = {
        "version": JSON_VERSION,
        "ok": report.ok,
        "files": report.files,
        "silenced": report.silenced,
        "notes": report.notes,
        "findings": [asdict(f) for f in report.findings],
    }
    json.dump(payload, stream, indent=2)
    stream.write("\n")


def _render_gitlab(report: LintReport, stream: TextIO) -> None:
    issues = [
        {
            "description": f"{f.rule} {f.message}. Instead: {f.suggestion}",
            "check_name": f"{f.rule} {f.name}",
            "fingerprint": f.fingerprint,
            "severity": "major",
            "location": {"path": f.file, "lines": {"begin": f.line}},
        }
        for f in report.findings
    ]
    json.dump(issues, stream, indent=2)
    stream.write("\n")
