"""What the `verify` and `inspect` commands do once Click has parsed their flags.

The CLI resolves the database URL, calls these, and exits with the returned
code; AstegniErrors propagate to its edge unchanged. The report goes to
``--output`` or stdout; nothing else is written there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TextIO

from astegni_db.db import DEFAULT_CONNECT_TIMEOUT
from astegni_db.errors import ConfigError
from astegni_db.output import open_output
from astegni_db.settings import DatabaseTarget
from astegni_db.verify import inspect, verify
from astegni_db.verify.report import FORMATS, Format, auto_format, render

DEFAULT_SPEC = Path("checks/schema.toml")
DEFAULT_QUERIES = Path("checks/queries")


def run_verify(
    database_url: DatabaseTarget | str,
    *,
    spec_path: Path = DEFAULT_SPEC,
    queries_dir: Path | None = DEFAULT_QUERIES,
    strict: bool = False,
    fmt: str | None = None,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
    output: Path | None = None,
    stdout: TextIO | None = None,
) -> int:
    """Verify and write the report; ``fmt=None`` picks a table on a terminal, text otherwise."""
    if fmt is not None and fmt not in FORMATS:
        raise ConfigError(f"unknown format {fmt!r}: use one of {', '.join(FORMATS)}")
    report = verify(database_url, spec_path, queries_dir, strict, connect_timeout=connect_timeout)
    with open_output(output, stdout) as stream:
        chosen: Format = auto_format(stream) if fmt is None else fmt
        render(report, chosen, stream)
    return int(report.exit_code)


def run_inspect(
    database_url: DatabaseTarget | str,
    *,
    spec_path: Path = DEFAULT_SPEC,
    output: Path | None = None,
    stdout: TextIO | None = None,
    connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
) -> int:
    text = inspect(database_url, spec_path, connect_timeout=connect_timeout)
    with open_output(output, stdout) as stream:
        stream.write(text)
    return 0
