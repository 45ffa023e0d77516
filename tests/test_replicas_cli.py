"""Replicas through the command line: `migrate --standby`, and standbys named in astegni-db.toml.

One real primary and one pg_basebackup hot standby serve the module
(tests/replica_cluster.py); every test gets fresh databases on them.
tests/test_replicas.py covers the replica steps themselves; this module covers
what a user types and reads: the flags, the configuration's ``standbys``
variables, the exit codes, the one error line and the JSON document.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from astegni_db import api
from astegni_db.errors import ExitCode
from astegni_db.replicas.standbys import standby_name
from astegni_db.settings import DatabaseTarget
from tests.helpers import (
    MIGRATIONS_DIR,
    PROJECT_MIGRATIONS,
    QUERIES,
    SPEC,
    Result,
    assert_clean_failure,
    run_cli,
)
from tests.replica_cluster import STANDBY_NAME, ReplicaPair

# Long enough for any healthy standby on this machine.
CATCH_UP_S = "20"
# Short: the paused standby's test waits this long for nothing.
LAG_LIMIT_S = "2"


@pytest.fixture
def other_dbname(replica_pair: ReplicaPair) -> Iterator[str]:
    with replica_pair.database() as name:
        yield name


def applied_on(target: DatabaseTarget) -> list[str]:
    plan = api.status(target, MIGRATIONS_DIR).plan
    return [e.id for e in plan.entries if e.applied_at is not None]


def password_of(url: str) -> str:
    password = urlsplit(url).password
    assert password
    return password


def error_lines(done: Result) -> list[str]:
    return [line for line in done.stderr.splitlines() if line.startswith("error: ")]


def write_project(root: Path, targets: str) -> Path:
    """A project whose astegni-db.toml holds ``targets`` (the repo's migrations, spec, queries)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir()  # its configuration is the only one read: none from above
    (root / "astegni-db.toml").write_text(
        targets.format(migrations=MIGRATIONS_DIR, spec=SPEC, queries=QUERIES)
    )
    return root


# The project's own target, whose URL and standby come from the environment.
APP_TARGET = """
[targets.app]
url_env = "APP_DATABASE_URL"
migrations = "{migrations}"
spec = "{spec}"
queries = "{queries}"
standbys = ["X_STANDBY_URL"]
standby_timeout = 20
"""


def test_migrate_with_standby_waits_for_it_and_verifies_it(
    replica_pair: ReplicaPair, replica_db: str
) -> None:
    standby = replica_pair.standby_target(replica_db)
    name = standby_name(standby)

    done = run_cli(
        "migrate",
        "--database-url", replica_pair.primary.url_for(replica_db),
        "--standby", replica_pair.standby.url_for(replica_db),
        "--standby-timeout", CATCH_UP_S,
    )  # fmt: skip

    assert done.code == ExitCode.OK, done.output
    assert applied_on(replica_pair.primary_target(replica_db)) == list(PROJECT_MIGRATIONS)
    assert f"standby {name}: replayed the migration after " in done.stdout
    assert "verify: schema matches the spec" in done.stdout
    assert "1 of 1 standby(s) replayed the migration and passed verify." in done.stdout
    assert f"at most {float(CATCH_UP_S):g} s" in done.stdout  # the flag's limit, not the default
    # The standby's progress as it happened, on stderr.
    assert f"waiting for standby {name} to replay " in done.stderr
    assert f"standby {name} replayed " in done.stderr
    assert not error_lines(done)
    # The standby itself has the migrated schema (read-only: verify ran on it).
    assert applied_on(standby) == list(PROJECT_MIGRATIONS)


def test_migrate_json_has_the_replicas_section(replica_pair: ReplicaPair, replica_db: str) -> None:
    done = run_cli(
        "migrate",
        "--database-url", replica_pair.primary.url_for(replica_db),
        "--standby", replica_pair.standby.url_for(replica_db),
        "--standby-timeout", CATCH_UP_S,
        "--format", "json",
    )  # fmt: skip

    assert done.code == ExitCode.OK, done.output
    document = json.loads(done.stdout)
    assert document["exit_code"] == 0
    assert [m["id"] for m in document["applied"]] == list(PROJECT_MIGRATIONS)
    replicas = document["replicas"]
    assert replicas["timeout_s"] == float(CATCH_UP_S)
    assert replicas["primary_lsn"]
    (standby,) = replicas["standbys"]
    assert standby["name"] == standby_name(replica_pair.standby_target(replica_db))
    assert standby["replayed"] is True and standby["lag_bytes"] == 0
    assert standby["exit_code"] == 0 and standby["error"] is None
    assert standby["verify"]["summary"]["error"] == 0
    assert standby["replication_lag"]["application_name"] == STANDBY_NAME
    # Progress lines are for people: stdout stays one JSON document, stderr quiet.
    assert "replayed the migration" not in done.stderr


def test_a_paused_standby_exits_8_with_one_line_and_the_primary_keeps_its_migrations(
    replica_pair: ReplicaPair, replica_db: str
) -> None:
    name = standby_name(replica_pair.standby_target(replica_db))
    replica_pair.pause_replay()

    done = run_cli(
        "migrate",
        "--database-url", replica_pair.primary.url_for(replica_db),
        "--standby", replica_pair.standby.url_for(replica_db),
        "--standby-timeout", LAG_LIMIT_S,
    )  # fmt: skip

    assert_clean_failure(
        done, [ExitCode.STANDBY_LAG], secrets=[password_of(replica_pair.standby.url)]
    )
    (line,) = error_lines(done)
    assert line.startswith(f"error: standby {name} did not replay ")
    assert f"within {float(LAG_LIMIT_S):g} s" in line
    assert "replay is paused" in line
    assert "0 of 1 standby(s) replayed the migration and passed verify." in done.stdout
    # Nothing on the primary was undone.
    assert applied_on(replica_pair.primary_target(replica_db)) == list(PROJECT_MIGRATIONS)


def test_a_configured_target_takes_its_standby_from_the_variable_it_names(
    replica_pair: ReplicaPair, replica_db: str, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "app", APP_TARGET)

    done = run_cli(
        "migrate",
        cwd=project,
        env={
            "APP_DATABASE_URL": replica_pair.primary.url_for(replica_db),
            "X_STANDBY_URL": replica_pair.standby.url_for(replica_db),
        },
    )

    assert done.code == ExitCode.OK, done.output
    name = standby_name(replica_pair.standby_target(replica_db))
    assert f"standby {name}: replayed the migration after " in done.stdout
    assert "at most 20 s" in done.stdout  # the target's standby_timeout
    assert "1 of 1 standby(s) replayed the migration and passed verify." in done.stdout
    assert applied_on(replica_pair.primary_target(replica_db)) == list(PROJECT_MIGRATIONS)


def test_a_flag_standby_adds_to_the_configured_ones(
    replica_pair: ReplicaPair, replica_db: str, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "app", APP_TARGET)
    # The same standby by another URL spelling (localhost, not 127.0.0.1): two standbys.
    by_name = replica_pair.standby.url_for(replica_db).replace("@127.0.0.1:", "@localhost:")

    done = run_cli(
        "migrate",
        "--standby", by_name,
        "--format", "json",
        cwd=project,
        env={
            "APP_DATABASE_URL": replica_pair.primary.url_for(replica_db),
            "X_STANDBY_URL": replica_pair.standby.url_for(replica_db),
        },
    )  # fmt: skip

    assert done.code == ExitCode.OK, done.output
    standbys = json.loads(done.stdout)["replicas"]["standbys"]
    assert {s["name"].split(":")[0] for s in standbys} == {"localhost", "127.0.0.1"}
    assert all(s["replayed"] and s["exit_code"] == 0 for s in standbys)


def test_a_missing_standby_variable_exits_2_before_anything_is_applied(
    replica_pair: ReplicaPair, replica_db: str, tmp_path: Path
) -> None:
    project = write_project(tmp_path / "app", APP_TARGET)

    done = run_cli(
        "migrate",
        cwd=project,
        env={"APP_DATABASE_URL": replica_pair.primary.url_for(replica_db)},
    )

    assert_clean_failure(done, [ExitCode.USAGE], secrets=[password_of(replica_pair.primary.url)])
    (line,) = error_lines(done)
    assert line == "error: target 'app' names standby variable X_STANDBY_URL, which is not set"
    with psycopg.connect(replica_pair.primary.url_for(replica_db)) as conn:
        tables = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
        ).fetchone()
    assert tables == (0,)


def test_standby_flag_on_a_run_over_several_targets_is_refused(tmp_path: Path) -> None:
    project = write_project(
        tmp_path / "two",
        APP_TARGET + '\n[targets.other]\nmigrations = "{migrations}"\nspec = "{spec}"\n',
    )

    done = run_cli(
        "migrate",
        "--standby", "postgresql://app@replica1/astegni",
        cwd=project,
    )  # fmt: skip

    assert_clean_failure(done, [ExitCode.USAGE])
    (line,) = error_lines(done)
    assert "--standby names one database's standbys" in line and "--target" in line


def test_two_targets_one_with_a_standby_report_it_under_its_database(
    replica_pair: ReplicaPair, replica_db: str, other_dbname: str, tmp_path: Path
) -> None:
    project = write_project(
        tmp_path / "two",
        APP_TARGET + '\n[targets.other]\nmigrations = "{migrations}"\nspec = "{spec}"\n',
    )

    done = run_cli(
        "migrate",
        "--format", "json",
        cwd=project,
        env={
            "APP_DATABASE_URL": replica_pair.primary.url_for(replica_db),
            "X_STANDBY_URL": replica_pair.standby.url_for(replica_db),
            "OTHER_DATABASE_URL": replica_pair.primary.url_for(other_dbname),
        },
    )  # fmt: skip

    assert done.code == ExitCode.OK, done.output
    document = json.loads(done.stdout)
    by_target = {t["name"]: t for t in document["targets"]}
    assert list(by_target) == ["app", "other"]
    (app,) = by_target["app"]["databases"]
    (standby,) = app["report"]["replicas"]["standbys"]
    assert standby["name"] == standby_name(replica_pair.standby_target(replica_db))
    assert standby["replayed"] is True
    (other,) = by_target["other"]["databases"]
    assert "replicas" not in other["report"]
    assert applied_on(replica_pair.primary_target(other_dbname)) == list(PROJECT_MIGRATIONS)
