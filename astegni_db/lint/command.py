"""What `astegni-db lint` does once Click has parsed its flags: lint, render, return the code."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path
from typing import TextIO

from astegni_db.errors import ConfigError
from astegni_db.lint import DEFAULT_QUERIES, DEFAULT_SPEC, FORMATS, Runner, lint_paths, render
from astegni_db.output import open_output


def run_lint(
    paths: Sequence[Path],
    *,
    spec_path: Path | None = DEFAULT_SPEC,
    queries_dir: Path | None = DEFAULT_QUERIES,
    runner: Runner = "astegni-db",
    disabled: Collection[str] = (),
    fmt: str = "text",
    output: Path | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Lint ``paths`` and write the report to ``output`` (else stdout); 0 clean, 1 findings."""
    if fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    report = lint_paths(
        paths, spec_path=spec_path, queries_dir=queries_dir, runner=runner, disabled=disabled
    )
    with open_output(output, stdout) as stream:
        render(report, fmt, stream)
    return int(report.exit_code)
