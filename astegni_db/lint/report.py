"""The lint report (it owns the exit code) and its renderings: text, json, gitlab.

``gitlab`` is GitLab's Code Quality format (a JSON array of issues), so merge
requests show the findings inline.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TextIO

from astegni_db.errors import ExitCode

if TYPE_CHECKING:
    from astegni_db.output import Ui

Format = Literal["text", "json", "gitlab", "github"]
FORMATS: tuple[Format, ...] = ("text", "json", "gitlab", "github")


@dataclass(frozen=True)
class Finding:
    rule: str  # AD101 ...
    name: str  # volatile-default ...
    file: str
    line: int
    message: str  # why it is dangerous
    suggestion: str  # what to write instead
    # ((relation, PostgreSQL 15 lock mode), ...): the table-level locks the flagged
    # statement takes on the relations the message names (AD103: the locks its
    # transaction holds while it runs); empty when the finding is not about a lock.
    locks: tuple[tuple[str, str], ...] = ()

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(f"{self.rule}:{self.file}:{self.message}".encode()).hexdigest()


@dataclass
class LintReport:
    command: ClassVar[str] = "lint"

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

    def json_body(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "silenced": self.silenced,
            "notes": self.notes,
            "findings": [asdict(f) for f in self.findings],
        }

    def write_text(self, ui: Ui) -> None:
        lines = []
        for f in self.findings:
            lines += [
                f"{f.file}:{f.line}: {f.rule} {f.name}: {f.message}",
                f"    instead: {f.suggestion}",
                f"    (accepted risk? `-- astegni-db: ignore {f.rule}` above it; docs/lint.md)",
            ]
        lines += [f"note: {note}" for note in self.notes]
        lines.append(self.summary_line())
        ui.write("".join(line + "\n" for line in lines))

    def write_github(self, stream: TextIO) -> None:
        """GitHub Actions workflow commands: each finding an ``::error`` annotation on
        its file and line, shown inline on the pull request's diff; then the summary."""
        for f in self.findings:
            properties = ",".join(
                f"{key}={_escape_property(value)}"
                for key, value in (
                    ("file", f.file),
                    ("line", str(f.line)),
                    ("title", f"{f.rule} {f.name}"),
                )
            )
            message = f"{f.message}. Instead: {f.suggestion}"
            stream.write(f"::error {properties}::{_escape_data(message)}\n")
        for note in self.notes:
            stream.write(f"::notice::{_escape_data(note)}\n")
        stream.write(self.summary_line() + "\n")

    def write_gitlab(self, stream: TextIO) -> None:
        """GitLab's Code Quality format (a JSON array of issues)."""
        issues = [
            {
                "description": f"{f.rule} {f.message}. Instead: {f.suggestion}",
                "check_name": f"{f.rule} {f.name}",
                "fingerprint": f.fingerprint,
                "severity": "major",
                "location": {"path": f.file, "lines": {"begin": f.line}},
            }
            for f in self.findings
        ]
        json.dump(issues, stream, indent=2)
        stream.write("\n")


def _escape_data(text: str) -> str:
    # As GitHub's toolkit (@actions/core) escapes a command's message.
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
