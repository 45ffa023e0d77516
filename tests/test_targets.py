"""Several targets in astegni-db.toml: each database migrated and verified, one report, one code.

Every test builds a project in a temporary directory the way Astegni's
repository is laid out (``migrations/``, ``checks/``, ``targets/admin/``,
``targets/advertiser/``, copied from this repository) with its own
``astegni-db.toml``, creates empty databases on the session's server, and
runs the real CLI there. What is asserted is what happened to the databases
(their bookkeeping, their tables) as well as what was printed.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import psycopg
import pytest
from psycopg import sql

from astegni_db.disposable import DisposableDatabases, Server, drop_database
from astegni_db.disposable.databases import unique_name
from astegni_db.errors import FOLD_ORDER, ExitCode, fold_exit_codes
from astegni_db.migrating.lock import LOCK_KEY
from astegni_db.settings import dbname_of
from tests.helpers import (
    PROJECT_MIGRATIONS,
    REPO,
    TRACEBACK_MARKERS,
    Result,
    run_cli,
    run_cli_process,
)
from tests.test_secrets import PASSWORD, WRONG_PASSWORD, assert_no_secret

ADMIN_MIGRATIONS = ("0001_baseline", "0002_admin_indexes", "0003_admin_unique_constraints")
ADVERTISER_MIGRATIONS = ("0001_baseline",)
APPLIED = {
    "user": list(PROJECT_MIGRATIONS),
    "admin": list(ADMIN_MIGRATIONS),
    "advertiser": list(ADVERTISER_MIGRATIONS),
}
# A table only that target's migrations create.
OWN_TABLE = {
    "user": "tutoring_sessions",
    "admin": "admin_users",
    "advertiser": "advertiser_profiles",
}
VARIABLE = {
    "user": "DATABASE_URL",
    "admin": "ADMIN_DATABASE_URL",
    "advertiser": "ADVERTISER_DATABASE_URL",
}
# Astegni's three targets as its astegni-db.toml names them (paths relative to the file).
TARGET_BLOCKS = {
    "user": {
        "url_env": "DATABASE_URL",
        "migrations": "migrations",
        "spec": "checks/schema.toml",
        "queries": "checks/queries",
    },
    "admin": {
        "url_env": "ADMIN_DATABASE_URL",
        "migrations": "targets/admin/migrations",
        "spec": "targets/admin/checks/schema.toml",
        "queries": "targets/admin/checks/queries",
    },
    "advertiser": {
        "url_env": "ADVERTISER_DATABASE_URL",
        "migrations": "targets/advertiser/migrations",
        "spec": "targets/advertiser/checks/schema.toml",
    },
}
# Sorts after every migration either target has; its SQL is wrong (a type that does not exist).
BROKEN_MIGRATION = "0099_broken.sql"
BROKEN_SQL = "ALTER TABLE {table} ADD COLUMN broken intt;\n"


@pytest.fixture(autouse=True)
def _no_inherited_target_urls(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI runs in this process: a variable from the shell would point a target elsewhere."""
    for variable in VARIABLE.values():
        monkeypatch.delenv(variable, raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Astegni's layout, copied; its astegni-db.toml is written by each test (write_config)."""
    root = tmp_path / "astegni"
    (root / ".git").mkdir(parents=True)  # the configuration is looked for up to here, no further
    shutil.copytree(REPO / "migrations", root / "migrations")
    shutil.copytree(REPO / "checks", root / "checks")
    for name in ("admin", "advertiser"):
        shutil.copytree(REPO / "targets" / name, root / "targets" / name)
    return root


@pytest.fixture
def plain_project(tmp_path: Path) -> Path:
    """A repository as it was before targets: migrations/ and checks/, no configuration."""
    root = tmp_path / "plain"
    (root / ".git").mkdir(parents=True)
    shutil.copytree(REPO / "migrations", root / "migrations")
    shutil.copytree(REPO / "checks", root / "checks")
    return root


@pytest.fixture
def new_db(disposable_databases: DisposableDatabases) -> Iterator[Callable[[], str]]:
    """``new_db()``: the URL of a brand-new empty database, dropped after the test."""
    with contextlib.ExitStack() as databases:
        yield lambda: databases.enter_context(disposable_databases.empty())


def write_config(root: Path, *names: str, **changed: dict[str, str]) -> Path:
    """astegni-db.toml with these of Astegni's targets, in this order; ``changed``
    replaces keys of a target's block (``admin={"migrations": "broken"}``)."""
    lines = []
    for name in names:
        lines.append(f"[targets.{name}]")
        block = {**TARGET_BLOCKS[name], **changed.get(name, {})}
        lines += [f"{key} = {json.dumps(value)}" for key, value in block.items()]
        lines.append("")
    path = root / "astegni-db.toml"
    path.write_text("\n".join(lines))
    return path


def broken_copy(root: Path, target: str) -> str:
    """A copy of ``target``'s migrations with a failing one last; its path for the config."""
    source = root / TARGET_BLOCKS[target]["migrations"]
    copy = root / "broken" / target
    shutil.copytree(source, copy)
    (copy / BROKEN_MIGRATION).write_text(BROKEN_SQL.format(table=OWN_TABLE[target]))
    return f"broken/{target}"


def applied(url: str) -> list[str] | None:
    """The migrations the database's bookkeeping lists; None: astegni-db never touched it."""
    with psycopg.connect(url) as conn:
        exists = conn.execute("SELECT to_regclass('_yoyo_migration') IS NOT NULL").fetchone()
        if exists != (True,):
            return None
        rows = conn.execute("SELECT migration_id FROM _yoyo_migration ORDER BY 1").fetchall()
    return [row[0] for row in rows]


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
        ).fetchall()
    return {row[0] for row in rows}


def error_lines(res: Result) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.startswith("error:")]


def assert_one_line_error(res: Result, code: int, *fragments: str) -> str:
    """Exit ``code``, one ``error:`` line holding every fragment, and no traceback."""
    assert res.code == code, res.output
    lines = error_lines(res)
    assert len(lines) == 1, res.output
    for fragment in fragments:
        assert fragment in lines[0], res.output
    for marker in TRACEBACK_MARKERS:
        assert marker not in res.output, res.output
    return lines[0]


def json_of(res: Result) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(res.stdout)
    return document


def by_target(document: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {target["name"]: target for target in document["targets"]}


def without(document: Any, *keys: str) -> Any:
    """``document`` with ``keys`` removed at every depth (timings, which differ run to run)."""
    if isinstance(document, dict):
        return {k: without(v, *keys) for k, v in document.items() if k not in keys}
    if isinstance(document, list):
        return [without(v, *keys) for v in document]
    return document


# -- two and three targets -------------------------------------------------------------------


def test_two_targets_are_migrated_then_verified_with_one_summary(
    project: Path, new_db: Callable[[], str]
) -> None:
    write_config(project, "user", "admin")
    user, admin = new_db(), new_db()
    env = {"DATABASE_URL": user, "ADMIN_DATABASE_URL": admin}

    migrated = run_cli("migrate", cwd=project, env=env)
    assert migrated.code == 0, migrated.output
    assert applied(user) == APPLIED["user"]
    assert applied(admin) == APPLIED["admin"]
    assert "admin_users" in tables(admin) and "admin_users" not in tables(user)
    assert "tutoring_sessions" in tables(user) and "tutoring_sessions" not in tables(admin)
    out = migrated.stdout
    # Each target's own report under its heading, in the file's order, then one table.
    user_heading = out.index("── user (")
    admin_heading = out.index("── admin (")
    assert out[user_heading:].splitlines()[0].endswith(f"/{dbname_of(user)}) ──"), out
    table = out.index("migrate: 2 ok")
    assert user_heading < admin_heading < table, out
    assert f"Applied 4 migration(s) to {dbname_of(user)}" in out[user_heading:admin_heading]
    assert f"Applied 3 migration(s) to {dbname_of(admin)}" in out[admin_heading:table]
    rows = [line.split() for line in out[table:].splitlines()[1:] if line.strip()]
    assert rows[0][:6] == ["TARGET", "DATABASE", "RESULT", "EXIT", "TIME", "DETAIL"]
    assert [row[:4] for row in rows[1:]] == [
        ["user", dbname_of(user), "ok", "0"],
        ["admin", dbname_of(admin), "ok", "0"],
    ]
    # Without a terminal, a line per database as each finishes (a CI log).
    assert "[1/2] user: ok" in migrated.stderr and "[2/2] admin: ok" in migrated.stderr
    assert "[admin]   applying 0001_baseline" in migrated.stderr

    verified = run_cli("verify", cwd=project, env=env)
    assert verified.code == 0, verified.output
    assert "verify: 2 ok" in verified.stdout
    assert verified.stdout.index("── user (") < verified.stdout.index("── admin (")

    again = run_cli("migrate", cwd=project, env=env)
    assert again.code == 0 and "migrate: 2 ok" in again.stdout, again.output
    assert applied(user) == APPLIED["user"] and applied(admin) == APPLIED["admin"]


def test_three_targets_json_and_junit_are_grouped_by_target(
    project: Path, new_db: Callable[[], str], tmp_path: Path
) -> None:
    config = write_config(project, "user", "admin", "advertiser")
    urls = {name: new_db() for name in VARIABLE}
    env = {VARIABLE[name]: url for name, url in urls.items()}

    res = run_cli("migrate", "--format", "json", cwd=project, env=env)
    assert res.code == 0, res.output
    document = json_of(res)
    assert list(document) == [
        "version", "command", "ok", "exit_code", "project", "summary", "targets"
    ]  # fmt: skip
    assert document["command"] == "migrate" and document["ok"] is True
    assert document["exit_code"] == 0
    assert (project / document["project"]).resolve() == config.resolve()  # where from
    assert document["summary"] == {"ok": 3, "failed": 0, "skipped": 0, "done before": 0}
    assert [t["name"] for t in document["targets"]] == ["user", "admin", "advertiser"]
    for target in document["targets"]:
        name = target["name"]
        assert {k: target[k] for k in ("fleet", "ok", "exit_code")} == {
            "fleet": False,
            "ok": True,
            "exit_code": 0,
        }
        [database] = target["databases"]
        assert database["target"] == name and database["name"] == name
        assert database["status"] == "ok" and database["ok"] is True
        assert database["exit_code"] == 0
        assert database["database"].endswith(f"/{dbname_of(urls[name])}")
        assert "error" not in database
        report = database["report"]
        assert report["command"] == "migrate" and report["exit_code"] == 0
        assert [m["id"] for m in report["applied"]] == APPLIED[name]
        assert applied(urls[name]) == APPLIED[name]
        assert OWN_TABLE[name] in tables(urls[name])

    junit = tmp_path / "verify.xml"
    res = run_cli("verify", "--junit", str(junit), cwd=project, env=env)
    assert res.code == 0, res.output
    assert "verify: 3 ok" in res.stdout
    suites = ET.parse(junit).getroot().findall("testsuite")
    names = [suite.get("name", "") for suite in suites]
    # Every suite is one target's, named "target: table", in the file's order.
    prefixes = [name.split(": ", 1)[0] for name in names]
    assert prefixes == sorted(prefixes, key=["user", "admin", "advertiser"].index), names
    for target, table in OWN_TABLE.items():
        assert f"{target}: {table}" in names, names
    assert all(suite.get("failures") == "0" and int(suite.get("tests", 0)) > 0 for suite in suites)

    res = run_cli("verify", "--format", "json", cwd=project, env=env)
    assert res.code == 0, res.output
    targets = by_target(json_of(res))
    assert list(targets) == ["user", "admin", "advertiser"]
    for name, target in targets.items():
        report = target["databases"][0]["report"]
        assert report["command"] == "verify" and report["ok"] is True
        assert any(check["table"] == OWN_TABLE[name] for check in report["checks"])


# -- choosing targets -------------------------------------------------------------------------


def test_one_target_is_reported_exactly_as_a_project_without_configuration(
    project: Path, plain_project: Path, new_db: Callable[[], str]
) -> None:
    """--target user gives what a repository without astegni-db.toml always gave, byte for
    byte; the target not chosen needs no URL at all (even under CI)."""
    write_config(project, "user", "admin")
    plain_db, target_db = new_db(), new_db()

    before = run_cli("migrate", "--format", "json", cwd=plain_project,
                     env={"DATABASE_URL": plain_db})  # fmt: skip
    chosen = run_cli("migrate", "--format", "json", "--target", "user", cwd=project,
                     env={"DATABASE_URL": target_db})  # fmt: skip
    assert before.code == chosen.code == 0, before.output + chosen.output
    assert "targets" not in json_of(chosen)
    assert without(json_of(chosen), "duration_ms", "database") == without(
        json_of(before), "duration_ms", "database"
    )
    assert applied(target_db) == applied(plain_db) == APPLIED["user"]

    # The same database seen both ways: every byte the same.
    env = {"DATABASE_URL": target_db}
    for command in (
        ["status"],
        ["status", "--format", "json"],
        ["verify", "--format", "text"],
        ["verify", "--format", "json"],
        ["migrate"],
    ):
        plain = run_cli(*command, cwd=plain_project, env=env)
        targeted = run_cli(*command, "--target", "user", cwd=project, env=env)
        assert plain.code == targeted.code == 0, plain.output + targeted.output
        assert targeted.stdout == plain.stdout, command
        assert targeted.stderr == plain.stderr, command


def test_repeated_target_runs_those_in_the_files_order(
    project: Path, new_db: Callable[[], str]
) -> None:
    write_config(project, "user", "admin", "advertiser")
    urls = {name: new_db() for name in VARIABLE}
    env = {VARIABLE[name]: url for name, url in urls.items()}

    res = run_cli(
        "migrate", "--format", "json", "--target", "advertiser", "--target", "user",
        cwd=project, env=env,
    )  # fmt: skip
    assert res.code == 0, res.output
    assert [t["name"] for t in json_of(res)["targets"]] == ["user", "advertiser"]
    assert applied(urls["user"]) == APPLIED["user"]
    assert applied(urls["advertiser"]) == APPLIED["advertiser"]
    assert applied(urls["admin"]) is None  # not chosen: never connected to


def test_an_unknown_target_is_one_line_naming_the_known_ones(
    project: Path, new_db: Callable[[], str]
) -> None:
    write_config(project, "user", "admin")
    user = new_db()
    for command in (["migrate"], ["status"], ["verify"], ["rollback", "--yes"]):
        res = run_cli(*command, "--target", "user", "--target", "billing", cwd=project,
                      env={"DATABASE_URL": user})  # fmt: skip
        assert_one_line_error(res, 2, "unknown target 'billing'", "astegni-db.toml", "user, admin")
        assert res.stdout == ""
    res = run_cli("dev", "url", "--target", "billing", cwd=project)
    assert_one_line_error(res, 2, "unknown target 'billing'", "user, admin")
    assert applied(user) is None


# -- a target whose URL is missing ------------------------------------------------------------


def test_a_missing_url_under_ci_is_refused_before_any_database_is_touched(
    project: Path, new_db: Callable[[], str]
) -> None:
    write_config(project, "user", "admin", "advertiser")
    user, admin = new_db(), new_db()
    env = {"DATABASE_URL": user, "ADMIN_DATABASE_URL": admin}
    for command in (["migrate"], ["migrate", "--format", "json"], ["status"], ["verify"]):
        res = run_cli(*command, cwd=project, env=env)
        assert_one_line_error(res, 2, "target 'advertiser'", "ADVERTISER_DATABASE_URL")
    # Every URL is resolved before the first database runs: nothing half-applied.
    assert applied(user) is None and applied(admin) is None
    assert not (project / ".astegni-db").exists()

    res = run_cli("migrate", cwd=project)  # no URL at all, under CI
    assert_one_line_error(
        res, 2, "targets user, admin, advertiser", "DATABASE_URL, ADMIN_DATABASE_URL and", "CI=true"
    )
    assert not (project / ".astegni-db").exists()


def test_outside_ci_the_dev_database_stands_in_for_all_targets_or_none(
    project: Path, new_db: Callable[[], str]
) -> None:
    """A deploy that forgot ADMIN_DATABASE_URL must not migrate the real user database
    and a throwaway admin one."""
    write_config(project, "user", "admin")
    user = new_db()
    res = run_cli("migrate", cwd=project, env={"CI": "false", "DATABASE_URL": user})
    assert_one_line_error(
        res, 2, "target 'admin'", "ADMIN_DATABASE_URL", "all targets or none", "--target"
    )
    assert applied(user) is None
    assert not (project / ".astegni-db").exists(), "no dev database may be started"
    # Named alone, the target that has its URL runs.
    res = run_cli("migrate", "--target", "user", cwd=project,
                  env={"CI": "false", "DATABASE_URL": user})  # fmt: skip
    assert res.code == 0, res.output
    assert applied(user) == APPLIED["user"]
    assert not (project / ".astegni-db").exists()


def test_a_url_in_dotenv_under_the_targets_own_variable(
    project: Path, new_db: Callable[[], str]
) -> None:
    write_config(project, "user", "admin")
    user, admin, other_admin = new_db(), new_db(), new_db()
    (project / ".env").write_text(f"# local settings\nADMIN_DATABASE_URL='{admin}'\n")

    res = run_cli("migrate", cwd=project, env={"DATABASE_URL": user})
    assert res.code == 0, res.output
    assert applied(user) == APPLIED["user"] and applied(admin) == APPLIED["admin"]
    # The variable wins over .env, as DATABASE_URL always did.
    res = run_cli("status", "--format", "json", "--target", "admin", cwd=project,
                  env={"ADMIN_DATABASE_URL": other_admin})  # fmt: skip
    assert res.code == 0, res.output
    states = {m["state"] for m in json_of(res)["migrations"]}
    assert states == {"pending"}  # other_admin's, not the .env one's (all applied there)
    assert applied(other_admin) is None  # status reads; it created no bookkeeping


# -- one target failing while the others pass -------------------------------------------------


def test_one_failing_target_does_not_stop_the_others(
    project: Path, new_db: Callable[[], str]
) -> None:
    write_config(project, "user", "admin", "advertiser",
                 admin={"migrations": broken_copy(project, "admin")})  # fmt: skip
    urls = {name: new_db() for name in VARIABLE}
    env = {VARIABLE[name]: url for name, url in urls.items()}

    res = run_cli("migrate", cwd=project, env=env)
    line = assert_one_line_error(res, 1, "1 of 3 database(s) failed: admin", "exit 1")
    assert line.endswith("(exit 1: the worst code wins)")
    assert applied(urls["user"]) == APPLIED["user"]
    assert applied(urls["advertiser"]) == APPLIED["advertiser"]
    # The admin target's good migrations stay; the broken one rolled back alone.
    assert applied(urls["admin"]) == APPLIED["admin"]
    rows = {line.split()[0]: line.split() for line in res.stdout.splitlines() if line.strip()}
    assert rows["user"][2:4] == ["ok", "0"] and rows["advertiser"][2:4] == ["ok", "0"]
    assert rows["admin"][2:4] == ["failed", "1"]

    res = run_cli("migrate", "--format", "json", cwd=project, env=env)
    assert res.code == 1, res.output
    document = json_of(res)
    assert document["ok"] is False and document["exit_code"] == 1
    assert document["summary"] == {"ok": 2, "failed": 1, "skipped": 0, "done before": 0}
    targets = by_target(document)
    assert [targets[n]["exit_code"] for n in targets] == [0, 1, 0]
    [failed] = targets["admin"]["databases"]
    assert failed["status"] == "failed" and failed["exit_code"] == 1
    message = failed["error"]["message"]
    assert "\n" not in message and "0099_broken" in message and "intt" in message, message


def test_the_worst_code_wins_across_targets(
    project: Path, new_db: Callable[[], str], pg_server: Server
) -> None:
    """Each target's own code in its place, the run's folded by errors.FOLD_ORDER."""
    write_config(project, "user", "admin", admin={"migrations": broken_copy(project, "admin")})
    user, admin = new_db(), new_db()
    missing = pg_server.url_for(unique_name("missing"))  # a database that does not exist

    def run(*args: str, user_url: str, admin_url: str) -> tuple[int, list[int]]:
        res = run_cli(*args, "--format", "json", cwd=project,
                      env={"DATABASE_URL": user_url, "ADMIN_DATABASE_URL": admin_url})  # fmt: skip
        document = json_of(res)
        assert document["exit_code"] == res.code, res.output
        return res.code, [target["exit_code"] for target in document["targets"]]

    # 3 (user pending) with 7 (admin's database does not exist): 7.
    assert run("status", "--check", user_url=user, admin_url=missing) == (7, [3, 7])
    # 1 (admin's migration fails) with 4 (the user database's migration lock is held): 1.
    with psycopg.connect(user, autocommit=True) as holder:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", LOCK_KEY)
        code = run("migrate", "--lock-timeout", "0", user_url=user, admin_url=admin)
    assert code == (1, [4, 1])
    assert applied(user) is None and applied(admin) == APPLIED["admin"]
    # 7 (unreachable) with 1 (a failing migration): 7.
    assert run("migrate", user_url=missing, admin_url=admin) == (7, [7, 1])
    # 6 (the user schema differs: nothing applied) with 0: 6.
    assert run("verify", user_url=user, admin_url=admin) == (6, [6, 0])
    # 3 (user pending) with 5 (an applied admin migration edited): 5.
    edited = project / "broken" / "admin" / "0003_admin_unique_constraints.sql"
    edited.write_text(edited.read_text() + "\n-- edited after it was applied\n")
    assert run("status", "--check", user_url=user, admin_url=admin) == (5, [3, 5])


def test_a_real_process_runs_every_target_and_exits_with_the_folded_code(
    project: Path, new_db: Callable[[], str]
) -> None:
    """The exit status a shell (or a CI step) sees, from a real process."""
    write_config(project, "user", "admin", "advertiser",
                 advertiser={"migrations": broken_copy(project, "advertiser")})  # fmt: skip
    urls = {name: new_db() for name in VARIABLE}
    env = {VARIABLE[name]: url for name, url in urls.items()}
    res = run_cli_process("migrate", cwd=project, env=env)
    assert_one_line_error(res, 1, "1 of 3 database(s) failed: advertiser")
    assert "migrate: 2 ok, 1 failed" in res.stdout, res.output
    assert applied(urls["user"]) == APPLIED["user"]
    assert applied(urls["admin"]) == APPLIED["admin"]
    res = run_cli_process("status", "--check", cwd=project, env=env)
    assert res.code == 3, res.output  # the advertiser's broken migration is pending


@pytest.mark.parametrize(
    ("codes", "folded"),
    [
        ([], 0),
        ([0, 0, 0], 0),
        ([3], 3),
        ([1, 6], 1),
        ([7, 3], 7),
        ([6, 3, 0], 6),
        ([8, 6], 8),
        ([4, 8], 4),
        ([1, 4], 1),
        ([5, 1], 5),
        ([7, 5], 7),
        ([2, 7, 5, 1], 2),
        ([130], 1),  # a code the order does not know is a failure ...
        ([130, 3], 1),  # ... and outranks the milder news it comes with
        ([130, 7], 7),
    ],
)
def test_fold_exit_codes(codes: list[int], folded: int) -> None:
    assert fold_exit_codes(codes) == folded
    assert fold_exit_codes(reversed(codes)) == folded  # order of the databases never matters


def test_the_fold_order_ranks_every_exit_code() -> None:
    """A new exit code must be placed in the order, not fall through to 'a failure'."""
    assert sorted(FOLD_ORDER) == sorted(code for code in ExitCode if code != ExitCode.OK)
    assert len(set(FOLD_ORDER)) == len(FOLD_ORDER)


def test_fail_fast_skips_the_later_targets(project: Path, new_db: Callable[[], str]) -> None:
    write_config(project, "user", "admin", "advertiser",
                 user={"migrations": broken_copy(project, "user")})  # fmt: skip
    urls = {name: new_db() for name in VARIABLE}
    env = {VARIABLE[name]: url for name, url in urls.items()}

    res = run_cli("migrate", "--fail-fast", "--format", "json", cwd=project, env=env)
    assert res.code == 1, res.output
    document = json_of(res)
    assert document["summary"] == {"ok": 0, "failed": 1, "skipped": 2, "done before": 0}
    statuses = [t["databases"][0]["status"] for t in document["targets"]]
    assert statuses == ["failed", "skipped", "skipped"]
    skipped = by_target(document)["admin"]["databases"][0]
    assert "--fail-fast" in skipped["skipped"] and "report" not in skipped
    assert applied(urls["admin"]) is None and applied(urls["advertiser"]) is None

    text = run_cli("migrate", "--fail-fast", cwd=project, env=env)
    assert_one_line_error(text, 1, "1 of 3 database(s) failed: user")
    assert "── admin" not in text.stdout  # nothing ran there, so no report of it
    rows = {line.split()[0]: line.split() for line in text.stdout.splitlines() if line.strip()}
    assert rows["admin"][2] == "skipped" and rows["advertiser"][2] == "skipped"
    assert applied(urls["admin"]) is None and applied(urls["advertiser"]) is None

    # Without it, the others run.
    res = run_cli("migrate", cwd=project, env=env)
    assert res.code == 1, res.output
    assert applied(urls["admin"]) == APPLIED["admin"]
    assert applied(urls["advertiser"]) == APPLIED["advertiser"]


# -- commands that never run on every target --------------------------------------------------


def test_rollback_repair_and_new_need_an_explicit_target(
    project: Path, new_db: Callable[[], str]
) -> None:
    write_config(project, "user", "admin")
    user, admin = new_db(), new_db()
    env = {"DATABASE_URL": user, "ADMIN_DATABASE_URL": admin}
    assert run_cli("migrate", cwd=project, env=env).code == 0
    files_before = sorted(p.name for p in project.rglob("*.sql"))

    for command in (["rollback", "--yes"], ["repair", "--yes"], ["new", "add_thing"]):
        res = run_cli(*command, cwd=project, env=env)
        assert_one_line_error(res, 2, command[0], "--target", "user, admin")
    assert applied(user) == APPLIED["user"] and applied(admin) == APPLIED["admin"]
    assert sorted(p.name for p in project.rglob("*.sql")) == files_before

    res = run_cli("rollback", "--yes", "--target", "admin", cwd=project, env=env)
    assert res.code == 0, res.output
    assert "──" not in res.stdout  # one target: its own report, no headings
    assert applied(admin) == APPLIED["admin"][:-1]
    assert applied(user) == APPLIED["user"]

    res = run_cli("rollback", "--yes", "--target", "admin", "--target", "user",
                  cwd=project, env=env)  # fmt: skip
    assert res.code == 0, res.output
    assert applied(admin) == APPLIED["admin"][:-2]
    assert applied(user) == APPLIED["user"][:-1]

    res = run_cli("new", "--target", "admin", "add_thing", cwd=project, env=env)
    assert res.code == 0, res.output
    made = project / "targets" / "admin" / "migrations" / "0004_add_thing.sql"
    assert made.is_file() and made.with_suffix(".rollback.sql").is_file()
    assert not list((project / "migrations").glob("*add_thing*"))


# -- one-database flags -----------------------------------------------------------------------


def test_path_flags_and_database_url_pick_the_database_url_target(
    project: Path, new_db: Callable[[], str]
) -> None:
    write_config(project, "user", "admin")
    user, admin, other, other_admin = new_db(), new_db(), new_db(), new_db()
    env = {"DATABASE_URL": user, "ADMIN_DATABASE_URL": admin}

    # --database-url without --target: the target that reads DATABASE_URL, one report.
    res = run_cli("migrate", "--format", "json", "--database-url", other, cwd=project, env=env)
    assert res.code == 0, res.output
    assert "targets" not in json_of(res)
    assert applied(other) == APPLIED["user"]
    assert applied(user) is None and applied(admin) is None

    assert run_cli("migrate", "--target", "admin", cwd=project, env=env).code == 0
    # A path flag without --target: that target's database (DATABASE_URL's, where the
    # admin migrations are pending), not the admin one (where they are applied).
    res = run_cli("status", "--format", "json", "--migrations-dir", "targets/admin/migrations",
                  cwd=project, env=env)  # fmt: skip
    assert res.code == 0, res.output
    document = json_of(res)
    assert "targets" not in document
    assert [(m["id"], m["state"]) for m in document["migrations"]] == [
        (name, "pending") for name in APPLIED["admin"]
    ]

    # With --target, the flag is that target's.
    res = run_cli("migrate", "--target", "admin", "--database-url", other_admin,
                  cwd=project, env=env)  # fmt: skip
    assert res.code == 0, res.output
    assert applied(other_admin) == APPLIED["admin"]

    for flag in (["--database-url", other], ["--spec", "checks/schema.toml"]):
        command = "migrate" if flag[0] == "--database-url" else "verify"
        res = run_cli(command, *flag, "--target", "user", "--target", "admin",
                      cwd=project, env=env)  # fmt: skip
        assert_one_line_error(res, 2, f"{flag[0]} is for one target", "user, admin", "--target")
    assert applied(user) is None


# -- a repository without a configuration -----------------------------------------------------


def test_a_project_without_configuration_works_as_before(
    plain_project: Path, new_db: Callable[[], str]
) -> None:
    url = new_db()
    env = {"DATABASE_URL": url}
    res = run_cli("migrate", "--format", "json", cwd=plain_project, env=env)
    assert res.code == 0, res.output
    assert list(json_of(res)) == [
        "version", "command", "ok", "exit_code", "database", "applied", "already_applied",
        "adopted", "repaired", "notices", "behaviour_changes", "behaviour_warnings",
        "data_warnings", "duration_ms",
    ]  # fmt: skip
    assert [m["id"] for m in json_of(res)["applied"]] == APPLIED["user"]
    for command in (["status"], ["verify"]):
        res = run_cli(*command, "--format", "json", cwd=plain_project, env=env)
        assert res.code == 0, res.output
        document = json_of(res)
        assert document["command"] == command[0]
        assert "targets" not in document and "project" not in document
    res = run_cli("migrate", cwd=plain_project, env=env)
    assert res.code == 0, res.output
    assert "──" not in res.stdout and "TARGET" not in res.stdout
    assert "[1/1]" not in res.stderr
    # No configuration: --target has nothing to choose from.
    res = run_cli("status", "--target", "user", cwd=plain_project, env=env)
    assert_one_line_error(res, 2, "unknown target 'user'", "default")


# -- configuration errors ---------------------------------------------------------------------


GOOD_TARGET = '[targets.user]\nmigrations = "migrations"\n'


@pytest.mark.parametrize(
    ("file", "text", "fragments"),
    [
        ("astegni-db.toml", "[targets.user\n", ["not valid TOML"]),
        ("astegni-db.toml", "", ["no targets"]),
        ("astegni-db.toml", GOOD_TARGET + "[databases]\nx = 1\n", ["unknown key 'databases'"]),
        (
            "astegni-db.toml",
            GOOD_TARGET + 'spec_file = "checks/schema.toml"\n',
            ["[targets.user]", "unknown key 'spec_file'"],
        ),
        ("astegni-db.toml", "[targets.User]\n", ["[targets.User]", "lower-case"]),
        ("astegni-db.toml", '[targets.user]\nurl_env = "ADMIN URL"\n', ["url_env"]),
        ("astegni-db.toml", "[targets.user]\nstandby_timeout = 0\n", ["standby_timeout"]),
        (
            "astegni-db.toml",
            GOOD_TARGET + '[targets.user.fleet]\nfile = "t.txt"\nquery = "SELECT 1"\n',
            ["[targets.user].fleet", "exactly one of file", "query"],
        ),
        (
            "astegni-db.toml",
            GOOD_TARGET + "[targets.user.fleet]\nconcurrency = 0\n",
            ["[targets.user].fleet"],
        ),
        (
            "pyproject.toml",
            '[tool.astegni-db.targets.user]\nmigrations = "migrations"\nspecs = "x"\n',
            ["[targets.user]", "unknown key 'specs'"],
        ),
        ("pyproject.toml", '[tool]\nastegni-db = "user"\n', ["[tool.astegni-db]"]),
    ],
)
def test_a_bad_configuration_is_one_line_naming_the_file_and_key(
    project: Path, file: str, text: str, fragments: list[str]
) -> None:
    (project / file).write_text(text)
    for command in (["migrate"], ["status", "--format", "json"], ["verify"], ["lint"]):
        res = run_cli(*command, cwd=project, env={"DATABASE_URL": "postgresql://u@h/d"})
        assert_one_line_error(res, 2, file, *fragments)
        assert len(res.stderr.strip().splitlines()) <= 2, res.stderr  # the line, maybe a hint
    res = run_cli("status", "--format", "json", cwd=project)
    document = json_of(res)
    assert document["exit_code"] == 2 and file in json.dumps(document)


# -- passwords ----------------------------------------------------------------------------------


@pytest.fixture
def owned_databases(pg_server: Server) -> Iterator[tuple[str, str]]:
    """(user URL, admin URL): two databases a role with PASSWORD owns."""
    role = f"astegni_targets_{secrets.token_hex(3)}"
    names = [unique_name("tuser"), unique_name("tadmin")]
    with psycopg.connect(pg_server.url, autocommit=True) as conn:
        conn.execute(
            sql.SQL("CREATE ROLE {} LOGIN PASSWORD {}").format(
                sql.Identifier(role), sql.Literal(PASSWORD)
            )
        )
        for name in names:
            conn.execute(
                sql.SQL("CREATE DATABASE {} OWNER {}").format(
                    sql.Identifier(name), sql.Identifier(role)
                )
            )
    netloc = urlsplit(pg_server.url).netloc.rsplit("@", 1)[-1]
    secret = quote(PASSWORD, safe="")
    try:
        user, admin = (f"postgresql://{role}:{secret}@{netloc}/{name}" for name in names)
        yield user, admin
    finally:
        for name in names:
            drop_database(pg_server, name)
        with psycopg.connect(pg_server.url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP ROLE {}").format(sql.Identifier(role)))


@pytest.mark.parametrize("where", ["environment", "dotenv"])
def test_a_targets_password_is_never_printed(
    project: Path, owned_databases: tuple[str, str], tmp_path: Path, where: str
) -> None:
    user, admin = owned_databases
    write_config(project, "user", "admin")

    def run(*args: str, admin_url: str = admin, directory: Path = project) -> Result:
        env = {"DATABASE_URL": user}
        if where == "environment":
            env["ADMIN_DATABASE_URL"] = admin_url
        else:
            (directory / ".env").write_text(f"ADMIN_DATABASE_URL='{admin_url}'\n")
        res = run_cli(*args, cwd=directory, env=env)
        assert_no_secret(res, PASSWORD, WRONG_PASSWORD)
        return res

    junit = tmp_path / "verify.xml"
    assert run("migrate").code == 0
    assert run("migrate", "--format", "json").code == 0
    assert run("status", "--format", "json").code == 0
    assert run("verify", "--junit", str(junit)).code == 0
    assert run("verify", "--format", "json").code == 0
    assert "── admin (" in run("verify", "--format", "text").stdout

    # Failing: a wrong password on the admin target (text, JSON, JUnit) ...
    wrong = admin.replace(quote(PASSWORD, safe=""), quote(WRONG_PASSWORD, safe=""))
    res = run("verify", "--junit", str(junit), admin_url=wrong)
    assert res.code == 7 and "password authentication failed" in res.stdout, res.output
    junit_text = junit.read_text()
    assert "admin" in junit_text and "password authentication failed" in junit_text
    for spelling in (PASSWORD, quote(PASSWORD, safe=""), WRONG_PASSWORD):
        assert spelling not in junit_text
    assert run("migrate", "--format", "json", admin_url=wrong).code == 7
    # ... and a failing migration on it.
    broken = write_config(project, "user", "admin",
                          admin={"migrations": broken_copy(project, "admin")})  # fmt: skip
    assert broken.is_file()
    res = run("migrate", "--format", "json")
    assert res.code == 1 and "intt" in res.stdout, res.output
    res = run("migrate")
    assert res.code == 1 and "intt" in res.stdout, res.output
