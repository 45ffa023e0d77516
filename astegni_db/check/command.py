"""What `astegni-db check` does once Click has parsed its flags.

The report goes to stdout (text or json); ``junit`` additionally writes the
JUnit XML file CI publishes, so the log and the test report come from one run.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from astegni_db.check.report import render
from astegni_db.check.run import run_check
from astegni_db.errors import ConfigError
from astegni_db.output import open_output


def run_check_command(
    migrations_dir: Path,
    *,
    spec_path: Path = Path("checks/schema.toml"),
    queries_dir: Path | None = Path("checks/queries"),
    backend: str | None = None,
    from_dump: Path | None = None,
    legacy_state: str | None = None,
    strict: bool = False,
    round_trip: bool = True,
    fmt: str = "text",
    junit: Path | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Run the check; 0 when every phase passed, else the first failing phase's code."""
    if fmt not in ("text", "json"):
        raise ConfigError(f"unknown format {fmt!r}: use text or json (and --junit FILE)")
    report = run_check(
        migrations_dir,
        spec_path,
        queries_dir,
        backend=backend,
        from_dump=from_dump,
        legacy_state=legacy_state,
        strict=strict,
        round_trip=round_trip,
    )
    render(report, "text" if fmt == "text" else "json", stdout or sys.stdout)
    if junit is not None:
        with open_output(junit, None) as stream:
            render(report, "junit", stream)
    return int(report.exit_code)
