"""`--help` and `--version` must not import the heavy modules (issue 6, target 4).

Start-up speed itself is measured in benchmarks/bench_startup.py, never timed
here; this guards the cause: psycopg, yoyo and rich.console cost 100-400 ms
each to import, and only commands that talk to a database or draw tables
need them.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("psycopg", "yoyo", "rich.console")

# Runs the real entry point in a fresh interpreter, then reports which heavy
# modules ended up in sys.modules and what the command printed.
_HARNESS = """
import contextlib, io, json, sys
args, heavy = json.loads(sys.argv[1]), json.loads(sys.argv[2])
from astegni_db import cli
sys.argv = ["astegni-db", *args]
out, code = io.StringIO(), None
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
    try:
        cli.main()
    except SystemExit as exc:
        code = exc.code
loaded = sorted(m for m in sys.modules if any(m == h or m.startswith(h + ".") for h in heavy))
print(json.dumps({"code": code, "heavy": loaded, "out": out.getvalue()}))
"""


def run_cli(*args: str) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-c", _HARNESS, json.dumps(args), json.dumps(HEAVY)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "args",
    [
        ("--help",),
        ("--version",),
        ("migrate", "--help"),
        ("verify", "--help"),
        ("status", "--help"),
    ],
)
def test_help_and_version_import_no_heavy_module(args: tuple[str, ...]) -> None:
    result = run_cli(*args)
    assert result["code"] == 0
    assert result["out"], "the command printed nothing: the harness did not run it"
    assert result["heavy"] == []


def test_the_guard_sees_heavy_imports_when_a_command_needs_them() -> None:
    # A command that connects must import psycopg: proves the check above can fail.
    result = run_cli(
        "status", "--database-url", "postgresql://u@127.0.0.1:1/x", "--connect-timeout", "1"
    )
    assert result["code"] != 0
    heavy = result["heavy"]
    assert isinstance(heavy, list) and "psycopg" in heavy
