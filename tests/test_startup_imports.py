"""Commands import only what they use (issue 6, target 4; issue 10, target 6).

Start-up speed itself is measured in benchmarks/bench_startup.py, never timed
here; this guards the cause: psycopg, yoyo and rich.console cost 100-400 ms
each to import. `--help` and `--version` need none of them; verify needs the
driver but not rich when its output is not a terminal, nor yoyo, nor
sqlparse, nor the SQL parser (pglast) while the spec's expressions read as the
catalog prints them; lint needs no database code at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import MIGRATIONS_DIR, QUERIES, SPEC

HEAVY = ("psycopg", "yoyo", "rich", "sqlparse", "pglast")

# Runs the real entry point in a fresh interpreter, with stdout a pipe (not a
# terminal), then reports which heavy modules ended up in sys.modules.
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
loaded = sorted({m.split(".")[0] for m in sys.modules if m.split(".")[0] in heavy})
print(json.dumps({"code": code, "heavy": loaded, "out": out.getvalue()}))
"""


def loaded_by(*args: str) -> dict[str, object]:
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
    result = loaded_by(*args)
    assert result["code"] == 0
    assert result["out"], "the command printed nothing: the harness did not run it"
    assert result["heavy"] == []


def test_verify_to_a_pipe_imports_the_driver_only(migrated_db_url: str) -> None:
    result = loaded_by(
        "verify", "--database-url", migrated_db_url, "--spec", str(SPEC), "--queries", str(QUERIES)
    )
    assert result["code"] == 0, result
    assert "schema matches the spec" in str(result["out"])  # it really verified
    assert result["heavy"] == ["psycopg"]


def test_lint_imports_no_database_code_and_no_rich() -> None:
    result = loaded_by("lint", str(MIGRATIONS_DIR))
    assert result["code"] == 0, result
    assert "no unsafe migrations" in str(result["out"])
    # sqlparse: the splitter yoyo uses, so lint cuts statements where yoyo will.
    assert result["heavy"] == ["pglast", "sqlparse"]


def test_verify_loads_the_parser_only_when_an_expression_is_spelled_differently(
    migrated_db_url: str, tmp_path: Path
) -> None:
    # The project's spec spells every CHECK, default and index as the catalog
    # prints it (the test above: no parser). Spelled otherwise, the same
    # meaning still verifies, and only then is the parser loaded.
    text = SPEC.read_text(encoding="utf-8")
    printed = (
        "status::text = ANY (ARRAY['active'::character varying, "
        "'draft'::character varying]::text[])"
    )
    assert printed in text, "the project spec changed: pick another CHECK to respell"
    respelled = tmp_path / "schema.toml"
    respelled.write_text(text.replace(printed, "status IN ('draft', 'active')"))
    result = loaded_by(
        "verify", "--database-url", migrated_db_url, "--spec", str(respelled),
        "--queries", str(QUERIES),
    )  # fmt: skip
    assert result["code"] == 0, result
    assert result["heavy"] == ["pglast", "psycopg"]


def test_the_guard_sees_heavy_imports_when_a_command_needs_them() -> None:
    # A command that connects must import psycopg: proves the checks above can fail.
    result = loaded_by(
        "status", "--database-url", "postgresql://u@127.0.0.1:1/x", "--connect-timeout", "1"
    )
    assert result["code"] != 0
    heavy = result["heavy"]
    assert isinstance(heavy, list) and "psycopg" in heavy
