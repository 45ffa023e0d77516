"""Fleets: one target, many databases with the same schema, run as one command.

Every test builds a project of its own (an ``astegni-db.toml`` with a fleet
target, the repository's migrations, spec and queries copied beside it) and
a fleet of databases on the session's server, named with one prefix no other
test or worker uses. The CLI runs in-process (tests.helpers.run_cli), as a
user runs it, and what it claims is checked in the databases themselves:
their bookkeeping, the tables a migration left, what the server saw while
the fleet ran.
"""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest

from astegni_db.disposable import DisposableDatabases, Server, create_database, drop_database
from astegni_db.disposable.databases import unique_name
from astegni_db.disposable.local import free_port
from tests.helpers import (
    MIGRATIONS_DIR,
    PROJECT_MIGRATIONS,
    QUERIES,
    SPEC,
    TRACEBACK_MARKERS,
    Result,
    assert_clean_failure,
    copy_migrations,
    run_cli,
)

URL_ENV = "TENANTS_DATABASE_URL"
MEMBERS_FILE = "tenants.txt"
# A URL entry in a fleet file carries its own password; it must never be printed.
ENTRY_PASSWORD = "fleet-entry-secret-5150"


@dataclass
class Fleet:
    """A project whose ``tenants`` target is a fleet, and that fleet's databases."""

    server: Server
    project: Path
    prefix: str
    created: list[str] = field(default_factory=list)

    def name(self, index: int) -> str:
        return f"{self.prefix}_{index:02d}"

    def create(self, *names: str, template: str | None = None) -> list[str]:
        for name in names:
            create_database(self.server, name, template=template)
            self.created.append(name)
        return list(names)

    def create_members(self, count: int, *, template: str | None = None) -> list[str]:
        return self.create(*(self.name(i) for i in range(count)), template=template)

    def url(self, name: str) -> str:
        return self.server.url_for(name)

    def configure(self, fleet: str = f'file = "{MEMBERS_FILE}"', concurrency: int = 3) -> None:
        (self.project / "astegni-db.toml").write_text(
            f"""\
[targets.tenants]
url_env = "{URL_ENV}"
migrations = "migrations"
spec = "checks/schema.toml"
queries = "checks/queries"

[targets.tenants.fleet]
{fleet}
concurrency = {concurrency}
""",
            encoding="utf-8",
        )

    def list_members(self, *entries: str) -> None:
        lines = ["# the tenants' databases, one per line", *entries, ""]
        (self.project / MEMBERS_FILE).write_text("\n".join(lines), encoding="utf-8")

    def add_migration(self, name: str, text: str) -> None:
        (self.project / "migrations" / f"{name}.sql").write_text(text, encoding="utf-8")

    def run(self, *args: str) -> Result:
        # The target's variable names the server (its maintenance database is the catalog).
        return run_cli(*args, cwd=self.project, env={URL_ENV: self.server.url})

    def run_json(self, *args: str) -> tuple[Result, dict[str, Any]]:
        res = self.run(*args, "--format", "json")
        return res, json.loads(res.stdout)

    def secrets(self) -> list[str]:
        password = urlsplit(self.server.url).password
        return [ENTRY_PASSWORD, *([password] if password else [])]


@pytest.fixture
def fleet(pg_server: Server, tmp_path: Path) -> Iterator[Fleet]:
    project = tmp_path / "project"
    copy_migrations(project / "migrations")
    (project / "checks").mkdir()
    shutil.copy(SPEC, project / "checks" / "schema.toml")
    shutil.copytree(QUERIES, project / "checks" / "queries")
    made = Fleet(pg_server, project, unique_name("fleet"))
    made.configure()
    yield made
    for name in made.created:
        drop_database(pg_server, name)


@pytest.fixture(scope="session")
def migrated_template(disposable_databases: DisposableDatabases) -> str:
    """The session's template with the repository's migrations applied (cloned, never used)."""
    return disposable_databases.template_for(MIGRATIONS_DIR)


# --- what the databases say -------------------------------------------------------------


def applied(url: str) -> list[str] | None:
    """The migrations yoyo's bookkeeping lists, oldest first; None: no bookkeeping table."""
    with psycopg.connect(url) as conn:
        if conn.execute("SELECT to_regclass('_yoyo_migration')").fetchone() == (None,):
            return None
        rows = conn.execute("SELECT migration_id FROM _yoyo_migration ORDER BY 1").fetchall()
    return [row[0] for row in rows]


def table_count(url: str) -> int:
    """Tables of any kind outside the system schemas: 0 in a database nothing touched."""
    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind IN ('r', 'p')"
            " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
            " AND n.nspname NOT LIKE 'pg_toast%'"
        ).fetchone()
    assert row is not None
    return int(row[0])


def databases_of(document: dict[str, Any], target: str = "tenants") -> list[dict[str, Any]]:
    (group,) = [t for t in document["targets"] if t["name"] == target]
    databases: list[dict[str, Any]] = group["databases"]
    return databases


def statuses(document: dict[str, Any]) -> dict[str, str]:
    return {d["name"]: d["status"] for d in databases_of(document)}


def assert_no_secret_or_traceback(res: Result, secrets: list[str]) -> None:
    for marker in TRACEBACK_MARKERS:
        assert marker not in res.output, res.output
    for secret in secrets:
        assert secret not in res.output, res.output


# --- a fleet, migrated and verified --------------------------------------------------------


def test_migrate_then_verify_every_database_of_a_fleet(fleet: Fleet) -> None:
    members = fleet.create_members(6)
    fleet.list_members(*members)

    migrated = fleet.run("migrate")
    assert migrated.code == 0, migrated.output
    for name in members:
        assert applied(fleet.url(name)) == list(PROJECT_MIGRATIONS), name
    # The final table: a row per database, and the count in its title.
    assert "migrate: 6 ok" in migrated.stdout
    rows = [line for line in migrated.stdout.splitlines() if line.startswith("tenants/")]
    assert [row.split()[:3] for row in rows] == [[f"tenants/{n}", n, "ok"] for n in members]
    assert all("applied 4 migration(s)" in row for row in rows), rows

    verified, document = fleet.run_json("verify")
    assert verified.code == 0, verified.output
    assert document["ok"] is True
    assert document["summary"] == {"ok": 6, "failed": 0, "skipped": 0, "done before": 0}
    (group,) = document["targets"]
    heading = {key: group[key] for key in ("name", "fleet", "ok", "exit_code")}
    assert heading == {"name": "tenants", "fleet": True, "ok": True, "exit_code": 0}
    assert [d["name"] for d in group["databases"]] == members  # the file's order
    for database in group["databases"]:
        assert database["status"] == "ok"
        assert database["database"].endswith(f"/{database['name']}")
        assert database["report"]["command"] == "verify"
        assert database["report"]["exit_code"] == 0

    # A second migrate is a no-op on every member.
    again, document = fleet.run_json("migrate")
    assert again.code == 0, again.output
    assert [d["report"]["applied"] for d in databases_of(document)] == [[]] * 6


def test_one_unreachable_database_does_not_stop_the_others(fleet: Fleet) -> None:
    members = fleet.create_members(4)
    missing = fleet.name(90)  # never created: the server answers "does not exist"
    port = free_port()  # nothing listens there: the connection is refused
    closed = f"postgresql://tenant:{ENTRY_PASSWORD}@127.0.0.1:{port}/tenant_elsewhere"
    fleet.list_members(members[0], members[1], closed, members[2], missing, members[3])

    res, document = fleet.run_json("migrate")

    # Unreachable (7) is worse than success: the fold's worst code wins.
    assert res.code == 7, res.output
    assert document["exit_code"] == 7
    assert_no_secret_or_traceback(res, fleet.secrets())
    for name in members:
        assert applied(fleet.url(name)) == list(PROJECT_MIGRATIONS), name
    found = statuses(document)
    assert found == {
        **{name: "ok" for name in members},
        f"tenant_elsewhere@127.0.0.1:{port}": "failed",  # another server: named with it
        missing: "failed",
    }
    for database in databases_of(document):
        if database["status"] != "failed":
            continue
        error = database["error"]
        assert database["exit_code"] == error["exit_code"] == 7
        assert "\n" not in error["message"] and error["message"], error
        assert ENTRY_PASSWORD not in json.dumps(database)
    # The run's last line names what failed, once.
    assert res.stderr.count("error: 2 of 6 database(s) failed") == 1, res.stderr

    # The same run as text: each failure a heading and one error line, then the table.
    text = fleet.run("migrate")
    assert_clean_failure(text, [7], secrets=fleet.secrets())
    failures = [line for line in text.stdout.splitlines() if line.startswith("error: ")]
    assert len(failures) == 2, text.stdout
    assert any(missing in line for line in failures), failures


def test_fail_fast_starts_no_database_after_the_first_failure(fleet: Fleet) -> None:
    first, *later = fleet.create_members(4)
    missing = fleet.name(90)
    fleet.list_members(first, missing, *later)

    res, document = fleet.run_json("migrate", "--fail-fast", "--concurrency", "1")

    assert res.code == 7, res.output
    assert statuses(document) == {
        first: "ok",
        missing: "failed",
        **{name: "skipped" for name in later},
    }
    assert document["summary"] == {"ok": 1, "failed": 1, "skipped": 3, "done before": 0}
    assert applied(fleet.url(first)) == list(PROJECT_MIGRATIONS)
    for name in later:  # never connected to for migrating: not even a bookkeeping table
        assert table_count(fleet.url(name)) == 0, name
        (database,) = [d for d in databases_of(document) if d["name"] == name]
        assert "report" not in database and database["exit_code"] == 0

    # Without --fail-fast the same fleet isolates the failure and migrates the rest.
    res, document = fleet.run_json("migrate", "--concurrency", "1")
    assert res.code == 7, res.output
    for name in later:
        assert applied(fleet.url(name)) == list(PROJECT_MIGRATIONS), name


# A migration that records, from the server's own view, how many of the fleet's
# databases were being migrated at once. application_name is published to every
# backend when it is set (and kept until the job closes its connection), so each
# member counts the members whose job has reached this migration and is still
# running. It waits for one more than the limit to appear: with the bound kept,
# none ever does; broken, the extra member would be counted.
PROBE = """\
SELECT set_config('application_name', 'fleet_probe', false);

CREATE TABLE fleet_probe (most_at_once integer NOT NULL);

DO $$
DECLARE
    at_once integer;
    most integer := 0;
    give_up timestamptz := clock_timestamp() + interval '1.5 seconds';
BEGIN
    LOOP
        PERFORM pg_stat_clear_snapshot();
        SELECT count(DISTINCT datname) INTO at_once
          FROM pg_stat_activity
         WHERE application_name = 'fleet_probe' AND starts_with(datname::text, '{prefix}');
        most := greatest(most, at_once);
        EXIT WHEN at_once > {limit} OR clock_timestamp() > give_up;
        PERFORM pg_sleep(0.02);
    END LOOP;
    INSERT INTO fleet_probe VALUES (most);
END $$;
"""


@pytest.mark.parametrize(
    ("configured", "flag", "members"),
    [(2, None, 4), (8, 3, 6)],
    ids=["fleet-concurrency", "concurrency-flag"],
)
def test_at_most_concurrency_databases_are_migrated_at_once(
    fleet: Fleet, configured: int, flag: int | None, members: int
) -> None:
    limit = flag or configured
    names = fleet.create_members(members)
    fleet.list_members(*names)
    fleet.configure(concurrency=configured)
    fleet.add_migration("0005_fleet_probe", PROBE.format(prefix=fleet.prefix, limit=limit))

    args = ["migrate", "--no-data-check"] + ([] if flag is None else ["--concurrency", str(flag)])
    res = fleet.run(*args)

    assert res.code == 0, res.output
    seen = {}
    for name in names:
        with psycopg.connect(fleet.url(name)) as conn:
            row = conn.execute("SELECT most_at_once FROM fleet_probe").fetchone()
        assert row is not None
        seen[name] = row[0]
    # Never more than the limit, and the limit reached: the databases did run side by side.
    assert max(seen.values()) == limit, seen


# --- per-database reports, resuming ---------------------------------------------------------


def test_report_dir_then_resume_skips_what_passed_and_reruns_what_failed(
    fleet: Fleet, tmp_path: Path
) -> None:
    members = fleet.create_members(4)
    broken = members.pop(2)
    drop_database(fleet.server, broken)  # listed, not there yet: this member fails
    fleet.list_members(*members[:2], broken, *members[2:])
    reports = tmp_path / "reports"

    first, _ = fleet.run_json("migrate", "--report-dir", str(reports))

    assert first.code == 7, first.output
    written = sorted(p.relative_to(reports).as_posix() for p in reports.rglob("*.json"))
    assert written == sorted(f"tenants/{n}.json" for n in [*members, broken])
    before = {n: (reports / "tenants" / f"{n}.json").read_text() for n in members}
    for name, text in before.items():
        report = json.loads(text)
        assert (report["command"], report["name"], report["ok"]) == ("migrate", name, True)
        assert report["report"]["applied"] and report["exit_code"] == 0
    failed = json.loads((reports / "tenants" / f"{broken}.json").read_text())
    assert (failed["ok"], failed["exit_code"], failed["status"]) == (False, 7, "failed")

    # Fixed: the database now exists. And a new migration lands meanwhile, which any
    # database this run touches gets: the ones it skips keep only the first four.
    fleet.create(broken)
    fleet.add_migration("0005_after_the_first_run", "CREATE TABLE after_first_run (id integer);")
    resumed, document = fleet.run_json("migrate", "--report-dir", str(reports), "--resume")

    assert resumed.code == 0, resumed.output
    assert statuses(document) == {**{n: "done before" for n in members}, broken: "ok"}
    everything = [*PROJECT_MIGRATIONS, "0005_after_the_first_run"]
    assert applied(fleet.url(broken)) == everything
    for name in members:
        assert applied(fleet.url(name)) == list(PROJECT_MIGRATIONS), name
        assert (reports / "tenants" / f"{name}.json").read_text() == before[name]
    assert json.loads((reports / "tenants" / f"{broken}.json").read_text())["ok"] is True

    # --resume is about the reports' command: verify has none there yet, so it runs on all.
    verified, document = fleet.run_json("verify", "--report-dir", str(reports), "--resume")
    assert set(statuses(document).values()) == {"ok"}, verified.output

    # Without --resume every member is run again and takes the new migration.
    again = fleet.run("migrate", "--report-dir", str(reports))
    assert again.code == 0, again.output
    for name in members:
        assert applied(fleet.url(name)) == everything, name


def test_resume_needs_the_report_dir(fleet: Fleet) -> None:
    (member,) = fleet.create_members(1)
    fleet.list_members(member)
    res = fleet.run("migrate", "--resume")
    assert_clean_failure(res, [2])
    assert "--report-dir" in res.stderr
    assert table_count(fleet.url(member)) == 0


# --- where the members come from ---------------------------------------------------------------


def test_members_listed_by_a_query_on_the_catalog_database(fleet: Fleet) -> None:
    members = fleet.create_members(3)
    query = f"SELECT datname FROM pg_database WHERE starts_with(datname, '{fleet.prefix}')"
    fleet.configure(fleet=f'query = "{query} ORDER BY datname DESC"')

    res, document = fleet.run_json("migrate")

    assert res.code == 0, res.output
    assert [d["name"] for d in databases_of(document)] == members[::-1]  # the query's order
    for name in members:
        assert applied(fleet.url(name)) == list(PROJECT_MIGRATIONS), name


def test_a_query_that_lists_no_database_is_a_configuration_error(fleet: Fleet) -> None:
    fleet.configure(fleet='query = "SELECT datname FROM pg_database WHERE false"')
    res = fleet.run("migrate")
    assert_clean_failure(res, [2], secrets=fleet.secrets())
    assert "has no databases" in res.stderr


def test_a_failing_query_is_one_line_and_touches_nothing(fleet: Fleet) -> None:
    (member,) = fleet.create_members(1)
    fleet.configure(fleet='query = "SELECT datnam FROM pg_database"')
    res = fleet.run("migrate")
    assert_clean_failure(res, [1], secrets=fleet.secrets())  # a query failed: exit 1
    assert "running the fleet's query failed" in res.stderr and "datnam" in res.stderr
    assert table_count(fleet.url(member)) == 0


@pytest.mark.parametrize(
    ("fleet_table", "problem"),
    [
        (f'file = "{MEMBERS_FILE}"\nquery = "SELECT 1"', "give exactly one of file"),
        ('query = "SELECT 1"\nconcurrency = 0', "concurrency must be a whole number"),
        ('query = "SELECT 1"\nmembers = 3', "unknown key 'members'"),
    ],
)
def test_a_bad_fleet_table_is_a_configuration_error(
    fleet: Fleet, fleet_table: str, problem: str
) -> None:
    (fleet.project / "astegni-db.toml").write_text(
        f'[targets.tenants]\nurl_env = "{URL_ENV}"\n\n[targets.tenants.fleet]\n{fleet_table}\n',
        encoding="utf-8",
    )
    res = fleet.run("status")
    assert_clean_failure(res, [2])
    assert "[targets.tenants].fleet" in res.stderr and problem in res.stderr, res.stderr


def test_a_missing_fleet_file_fails_before_any_database(fleet: Fleet) -> None:
    res = fleet.run("migrate")  # the configuration names tenants.txt; there is none
    assert_clean_failure(res, [2])
    assert f"fleet file not found: {MEMBERS_FILE}" in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1, res.stderr


def test_databases_on_other_servers_may_share_a_name(fleet: Fleet) -> None:
    (member,) = fleet.create_members(1)
    port = free_port()
    elsewhere = f"postgresql://tenant:{ENTRY_PASSWORD}@127.0.0.1:{port}/{member}"
    fleet.list_members(member, elsewhere)

    res, document = fleet.run_json("migrate")

    assert res.code == 7, res.output  # the other server is not there; this one is migrated
    assert statuses(document) == {member: "ok", f"{member}@127.0.0.1:{port}": "failed"}
    assert applied(fleet.url(member)) == list(PROJECT_MIGRATIONS)
    assert_no_secret_or_traceback(res, fleet.secrets())


def test_a_database_listed_twice_fails_before_any_database(fleet: Fleet) -> None:
    first, second = fleet.create_members(2)
    fleet.list_members(first, second, first)

    res, document = fleet.run_json("migrate")

    assert_clean_failure(res, [2])
    assert f"{MEMBERS_FILE}:4 names database {first!r} again (first at {MEMBERS_FILE}:2)" in (
        res.stderr
    )
    assert document["ok"] is False and document["exit_code"] == 2
    for name in (first, second):  # nothing ran, on the first members either
        assert table_count(fleet.url(name)) == 0, name


# --- sharding a fleet across CI jobs --------------------------------------------------------


def shard_members(fleet: Fleet, shard: str) -> list[str]:
    res, document = fleet.run_json("status", "--shard", shard)
    assert res.code == 0, res.output
    assert document["summary"]["failed"] == 0, res.output
    return [d["name"] for d in document["targets"][0]["databases"]] if document["targets"] else []


def test_shards_partition_the_fleet(fleet: Fleet) -> None:
    members = fleet.create_members(9)
    fleet.list_members(*members)

    shards = [shard_members(fleet, f"{k}/3") for k in (1, 2, 3)]

    assert sorted(name for shard in shards for name in shard) == members  # all, each once
    # By each name's hash, not its position: another order gives every shard the same set.
    fleet.list_members(*reversed(members))
    assert [sorted(shard_members(fleet, f"{k}/3")) for k in (1, 2, 3)] == [
        sorted(shard) for shard in shards
    ]
    assert shard_members(fleet, "1/1") == members[::-1]


def test_a_shard_holding_no_database_passes_and_says_so(fleet: Fleet) -> None:
    (member,) = fleet.create_members(1)
    fleet.list_members(member)
    shards = {k: shard_members(fleet, f"{k}/2") for k in (1, 2)}
    empty = next(k for k, names in shards.items() if not names)  # one of two, by the hash

    res = fleet.run("migrate", "--shard", f"{empty}/2")

    assert res.code == 0, res.output
    assert "TARGET" in res.stdout and member not in res.output
    assert table_count(fleet.url(member)) == 0


@pytest.mark.parametrize("shard", ["0/3", "4/3", "1/0", "a/3", "2"])
def test_a_bad_shard_is_a_usage_error(fleet: Fleet, shard: str) -> None:
    res = fleet.run("status", "--shard", shard)
    assert_clean_failure(res, [2])
    assert "K/N" in res.output


# --- JUnit ----------------------------------------------------------------------------------


def test_junit_groups_every_suite_by_target_and_member(
    fleet: Fleet, migrated_template: str, tmp_path: Path
) -> None:
    members = fleet.create_members(2, template=migrated_template)
    missing = fleet.name(90)
    fleet.list_members(members[0], missing, members[1])
    junit = tmp_path / "verify.xml"

    res = fleet.run("verify", "--junit", str(junit))

    assert res.code == 7, res.output
    suites = ET.parse(junit).getroot().findall("testsuite")
    by_member: dict[str, list[ET.Element]] = {}
    for suite in suites:
        key = suite.get("name", "").split(": ", 1)[0]
        by_member.setdefault(key, []).append(suite)
    assert list(by_member) == [f"tenants/{n}" for n in (members[0], missing, members[1])]
    for name in members:  # verify's own suites, each named after its database
        passed = by_member[f"tenants/{name}"]
        assert len(passed) > 1 and all(s.get("name", "").count(": ") >= 1 for s in passed)
        assert all(s.get("failures") == "0" and s.get("errors", "0") == "0" for s in passed)
    (unreachable,) = by_member[f"tenants/{missing}"]
    (case,) = unreachable.findall("testcase")
    failure = case.find("failure")
    assert failure is not None and "7" in (failure.get("type") or ""), ET.tostring(case)
