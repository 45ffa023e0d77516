"""The shipped pytest plugin with targets in astegni-db.toml: a migrated clone per target.

Inner pytest sessions run in a temporary directory whose astegni-db.toml names
Astegni's user and admin targets (and a third whose name has a dash); their
tests ask for each target's fixtures and check that every clone holds its own
target's tables and nothing of the others'. The inner sessions use the outer
session's server (the ``url`` backend), and leave none of their databases on it.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from astegni_db.disposable import Server
from astegni_db.settings import dbname_of
from tests.helpers import REPO, database_names
from tests.test_disposable_plugin import run_inner_pytest

CONFIG = f"""
[targets.user]
url_env = "DATABASE_URL"
migrations = "{REPO / "migrations"}"
spec = "{REPO / "checks" / "schema.toml"}"

[targets.admin]
url_env = "ADMIN_DATABASE_URL"
migrations = "{REPO / "targets" / "admin" / "migrations"}"
spec = "{REPO / "targets" / "admin" / "checks" / "schema.toml"}"

[targets.ad-server]
migrations = "{REPO / "targets" / "advertiser" / "migrations"}"
spec = "{REPO / "targets" / "advertiser" / "checks" / "schema.toml"}"
"""

INNER_TESTS = """
import json, os

import psycopg

OWN = {"user": "tutoring_sessions", "admin": "admin_users", "ad-server": "advertiser_profiles"}
CLONES = []


def tables(url):
    CLONES.append(url)
    with psycopg.connect(url) as conn:
        rows = conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        return {row[0] for row in rows.fetchall()}


def only(target, found):
    assert OWN[target] in found, (target, found)
    assert not {t for n, t in OWN.items() if n != target} & found, (target, found)


def test_each_target_has_its_clone(
    astegni_db_url_for, astegni_db_admin_url, astegni_db_user_conn, astegni_db_url,
    astegni_db_ad_server_url,
):
    admin = astegni_db_url_for("admin")
    only("admin", tables(admin))
    only("admin", tables(astegni_db_admin_url))
    only("user", tables(astegni_db_url))  # the target reading DATABASE_URL
    only("ad-server", tables(astegni_db_ad_server_url))
    only("user", tables(astegni_db_url_for("user")))
    rows = astegni_db_user_conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
    ).fetchall()
    only("user", {row[0] for row in rows})
    CLONES.append(astegni_db_user_conn.info.dbname)
    # Every clone its own database: a change in one is not seen in another.
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute("CREATE TABLE written_by_this_test (id int)")
    assert "written_by_this_test" not in tables(astegni_db_admin_url)
    names = [url.rsplit("/", 1)[-1].split("?")[0] for url in CLONES]
    with open(os.environ["PROBE_FILE"], "w") as probe:
        json.dump(names, probe)
    assert len(set(names)) == 6, names  # 7 reads: the admin_url clone twice


def test_an_unknown_target(astegni_db_url_for):
    astegni_db_url_for("billing")
"""


@pytest.fixture
def inner_project(tmp_path: Path) -> Path:
    (tmp_path / "pytest.ini").write_text("[pytest]\nastegni_db = true\n")
    (tmp_path / "astegni-db.toml").write_text(CONFIG)
    (tmp_path / "test_inner.py").write_text(INNER_TESTS)
    return tmp_path


def test_each_target_gets_a_migrated_clone_and_an_unknown_one_fails_in_a_line(
    inner_project: Path, pg_server: Server
) -> None:
    done = run_inner_pytest(
        inner_project, "--astegni-db-backend=url", env={"ASTEGNI_DB_TEST_URL": pg_server.url}
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "1 failed, 1 passed" in done.stdout, output
    # The unknown target: its whole failure is one line naming it and the known ones.
    section = done.stdout.split("_ test_an_unknown_target _")[1].split("\n=")[0]
    assert [line for line in section.splitlines()[1:] if line.strip()] == [
        "unknown astegni-db target 'billing' (targets: user, admin, ad-server)"
    ], output
    clones = json.loads((inner_project / "probe.json").read_text())
    assert len(clones) == 7
    left = database_names(pg_server.url)
    assert not set(clones) & left, "a clone outlived the inner session"


def test_fixtures_of_a_target_that_is_not_configured_do_not_exist(
    inner_project: Path, pg_server: Server
) -> None:
    (inner_project / "test_inner.py").write_text("def test_it(astegni_db_billing_url):\n    pass\n")
    done = run_inner_pytest(
        inner_project, "--astegni-db-backend=url", env={"ASTEGNI_DB_TEST_URL": pg_server.url}
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "fixture 'astegni_db_billing_url' not found" in done.stdout
    # The configured targets' fixtures are what pytest offers instead.
    assert "astegni_db_admin_url" in done.stdout and "astegni_db_ad_server_conn" in done.stdout
    assert dbname_of(pg_server.url) in database_names(pg_server.url)
