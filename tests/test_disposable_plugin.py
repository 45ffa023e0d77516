"""The shipped pytest plugin, run in inner pytest sessions: off by default, and nothing
(server process, cluster directory, container, database) survives a session, even one
whose test failed or was interrupted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from astegni_db.disposable import Server
from astegni_db.settings import dbname_of
from tests.helpers import (
    MIGRATIONS_DIR,
    assert_server_gone,
    database_names,
    need_backend,
)

RECORDING_TEST = """
import json, os

def test_uses_a_clone(astegni_db_server, astegni_db_template, astegni_db_url, astegni_db_conn):
    row = astegni_db_conn.execute("SELECT to_regclass('tutoring_sessions') IS NOT NULL").fetchone()
    with open(os.environ["PROBE_FILE"], "w") as probe:
        json.dump({"url": astegni_db_server.url, "backend": astegni_db_server.backend,
                   "resource": astegni_db_server.resource, "template": astegni_db_template,
                   "clone": astegni_db_url}, probe)
    assert row == (True,)
    {ending}
"""


def run_inner_pytest(
    directory: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ASTEGNI_DB_TEST")}
    environ["PROBE_FILE"] = str(directory / "probe.json")
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args],
        cwd=directory,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _write_test(directory: Path, ending: str) -> None:
    (directory / "test_inner.py").write_text(RECORDING_TEST.replace("{ending}", ending))


def _probe(directory: Path) -> dict[str, str]:
    data: dict[str, str] = json.loads((directory / "probe.json").read_text())
    return data


def test_fixtures_are_off_unless_enabled(tmp_path: Path) -> None:
    _write_test(tmp_path, "")
    done = run_inner_pytest(tmp_path, f"--astegni-db-migrations={MIGRATIONS_DIR}")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "the astegni_db pytest plugin is off" in done.stdout
    assert "--astegni-db" in done.stdout
    assert not (tmp_path / "probe.json").exists()


def test_the_ini_setting_enables_the_plugin(tmp_path: Path) -> None:
    (tmp_path / "pytest.ini").write_text(
        f"[pytest]\nastegni_db = true\nastegni_db_migrations = {MIGRATIONS_DIR}\n"
    )
    _write_test(tmp_path, "")
    done = run_inner_pytest(tmp_path, "--astegni-db-backend=local")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout
    assert _probe(tmp_path)["backend"] == "local"


def test_an_unknown_backend_option_is_a_usage_error(tmp_path: Path) -> None:
    _write_test(tmp_path, "")
    done = run_inner_pytest(tmp_path, "--astegni-db", "--astegni-db-backend=docker")
    assert done.returncode == 4  # pytest's usage-error exit code
    assert "invalid choice: 'docker'" in done.stderr


@pytest.mark.parametrize(
    "backend",
    ["local", "embedded", pytest.param("container", marks=pytest.mark.container)],
)
def test_a_failing_test_leaves_no_server_behind(tmp_path: Path, backend: str) -> None:
    need_backend(backend)
    _write_test(tmp_path, "assert False, 'deliberate failure'")
    done = run_inner_pytest(
        tmp_path, "--astegni-db", f"--astegni-db-backend={backend}",
        f"--astegni-db-migrations={MIGRATIONS_DIR}",
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr
    assert "deliberate failure" in done.stdout
    assert "1 failed" in done.stdout
    probe = _probe(tmp_path)
    assert probe["backend"] == backend
    assert_server_gone(Server(url=probe["url"], backend=backend, resource=probe["resource"]))


def test_an_interrupted_session_still_cleans_up(tmp_path: Path) -> None:
    _write_test(tmp_path, "raise KeyboardInterrupt")
    done = run_inner_pytest(
        tmp_path, "--astegni-db", "--astegni-db-backend=local",
        f"--astegni-db-migrations={MIGRATIONS_DIR}",
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr  # pytest: interrupted
    probe = _probe(tmp_path)
    assert_server_gone(Server(url=probe["url"], backend="local", resource=probe["resource"]))


def test_the_url_backend_drops_template_and_clones_after_a_failure(
    tmp_path: Path, private_server: Server
) -> None:
    before = database_names(private_server.url)
    _write_test(tmp_path, "assert False, 'deliberate failure'")
    done = run_inner_pytest(
        tmp_path, "--astegni-db", "--astegni-db-backend=url",
        f"--astegni-db-migrations={MIGRATIONS_DIR}",
        env={"ASTEGNI_DB_TEST_URL": private_server.url},
    )  # fmt: skip
    assert "1 failed" in done.stdout, done.stdout + done.stderr
    probe = _probe(tmp_path)
    left = database_names(private_server.url)
    assert probe["template"] not in left
    assert dbname_of(probe["clone"]) not in left
    assert left == before


def _eventually_gone(server: Server, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            assert_server_gone(server)
            return
        except AssertionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


@pytest.mark.parametrize(
    "backend", ["local", pytest.param("container", marks=pytest.mark.container)]
)
def test_a_killed_session_is_cleaned_up_by_the_reaper(tmp_path: Path, backend: str) -> None:
    # SIGKILL runs no finally block and no fixture teardown: only the watchdog is left.
    need_backend(backend)
    _write_test(tmp_path, "os.kill(os.getpid(), 9)")
    done = run_inner_pytest(
        tmp_path, "--astegni-db", f"--astegni-db-backend={backend}",
        f"--astegni-db-migrations={MIGRATIONS_DIR}",
    )  # fmt: skip
    assert done.returncode == -9, done.stdout + done.stderr
    probe = _probe(tmp_path)
    _eventually_gone(Server(url=probe["url"], backend=backend, resource=probe["resource"]))
