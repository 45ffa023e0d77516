"""Astegni's admin target: every state of astegni_admin_db converges to one shape, losing nothing.

For an empty database and each state of tests/admin_states.py (the split's
SQL file, create_all, production's scripts, their combinations, psql stopped
part way), built with rows, the real CLI runs on targets/admin/ and we check:

(a) migrate exits 0 and the sixteen tables end up exactly as on a fresh
    database: columns, defaults, constraints and indexes, *names included*
    (every creator named its objects as the shape does, so nothing here may
    legitimately differ), and ``verify --strict`` exits 0 with the admin
    queries prepared;
(b) every row of every table in the database (ours and the dumps' others)
    keeps every value it had, as PostgreSQL's text prints it (jsonb made json
    included), and no sequence moves;
(c) a second migrate applies nothing, and running the three files' SQL again
    (a crash between the DDL and the bookkeeping) changes nothing and takes no
    lock stronger than ACCESS SHARE on any table;
(d) rollback empties a fresh database of the sixteen tables and re-applies; on
    adopted data it refuses and changes nothing;
(e) the databases only a person can converge are refused with every problem
    named and nothing changed, and converge once the person has acted;
(f) the advertiser target adopts a database it knows nothing of through
    ``inspect``, the way docs/admin-target.md tells a team to.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from psycopg import sql
from yoyo.migrations import read_sql_migration

from astegni_db import api
from astegni_db.disposable.databases import temporary_database
from astegni_db.settings import dbname_of
from tests.admin_states import (
    ADMIN_STATES,
    build_advertiser_database,
    build_duplicate_active_rules,
    build_foreign_announcements,
    build_models,
    build_orphan_media_settings,
)
from tests.helpers import REPO, Result, run_cli

ADMIN = REPO / "targets" / "admin"
MIGRATIONS = ADMIN / "migrations"
SPEC = ADMIN / "checks" / "schema.toml"
QUERIES = ADMIN / "checks" / "queries"
ADVERTISER = REPO / "targets" / "advertiser"
ADMIN_MIGRATIONS = ("0001_baseline", "0002_admin_indexes", "0003_admin_unique_constraints")
OUR_TABLES = (
    "admin_users",
    "admin_activity_logs",
    "system_settings",
    "moderation_queue",
    "user_reports",
    "platform_analytics",
    "feature_flags",
    "announcements",
    "email_templates",
    "scheduled_jobs",
    "audit_trail",
    "support_tickets",
    "support_ticket_messages",
    "base_price_rules",
    "system_media_settings",
    "subscription_plans",
)
# Bookkeeping the migrate engine and yoyo keep next to the schema; not the admin's.
BOOKKEEPING = re.compile(r"^(_yoyo_|yoyo_lock|_astegni_db_)")


# --- running the CLI on the admin target ------------------------------------------


def migrate(url: str) -> Result:
    return run_cli(
        "migrate", "--database-url", url, "--migrations-dir", str(MIGRATIONS), "--spec", str(SPEC)
    )


def verify(url: str) -> Result:
    return run_cli(
        "verify", "--database-url", url, "--spec", str(SPEC), "--queries", str(QUERIES),
        "--strict", "--format", "text",
    )  # fmt: skip


def rollback_all(url: str) -> Result:
    # rollback never runs on every target by default: it names the admin one.
    return run_cli(
        "rollback", "--all", "--yes", "--target", "admin", "--database-url", url,
        "--migrations-dir", str(MIGRATIONS),
    )  # fmt: skip


def applied_ids(url: str) -> list[str]:
    plan = api.status(url, MIGRATIONS).plan
    return sorted(e.id for e in plan.entries if e.applied_at is not None)


def statements_of(name: str) -> list[str]:
    """A migration file's statements, split exactly as yoyo splits them."""
    _, _, statements = read_sql_migration(str(MIGRATIONS / f"{name}.sql"))
    return [str(s) for s in statements]


# --- what we compare ----------------------------------------------------------------

_COLUMNS = """
SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
       pg_get_expr(d.adbin, d.adrelid), col_description(a.attrelid, a.attnum),
       a.attidentity, a.attgenerated, pg_get_serial_sequence(%(rel)s, a.attname)
FROM pg_attribute a
LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
WHERE a.attrelid = %(rel)s::regclass AND a.attnum > 0 AND NOT a.attisdropped
"""
_CONSTRAINTS = """
SELECT conname, contype, pg_get_constraintdef(oid), convalidated
FROM pg_constraint WHERE conrelid = %(rel)s::regclass
"""
_INDEXES = """
SELECT pg_get_indexdef(indexrelid), indisprimary, indisunique, indisvalid
FROM pg_index WHERE indrelid = %(rel)s::regclass
"""


def describe(url: str) -> dict[str, Any]:
    """The sixteen tables as the catalog has them: names are part of the shape here."""
    out: dict[str, Any] = {}
    with psycopg.connect(url) as conn:
        for table in OUR_TABLES:
            params = {"rel": table}
            found = conn.execute("SELECT to_regclass(%(rel)s)", params).fetchone()
            if found is None or found[0] is None:
                out[table] = None
                continue
            out[table] = {
                "columns": {row[0]: row[1:] for row in conn.execute(_COLUMNS, params)},
                "constraints": sorted(conn.execute(_CONSTRAINTS, params).fetchall()),
                "indexes": sorted(conn.execute(_INDEXES, params).fetchall()),
            }
    return out


def relations(url: str) -> list[tuple[str, str]]:
    """Every relation of the current schema but the bookkeeping: (name, kind)."""
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT relname, relkind::text FROM pg_class"
            " WHERE relnamespace = current_schema()::regnamespace ORDER BY relname"
        ).fetchall()
    return [(name, kind) for name, kind in rows if not BOOKKEEPING.match(name)]


def snapshot(url: str) -> dict[str, Any]:
    """Every value of every row of every table, as PostgreSQL's own text output, and
    every sequence's position. Text output is exact (json keeps its spacing), so equal
    text means equal values."""
    out: dict[str, Any] = {"tables": {}, "sequences": {}}
    with psycopg.connect(url) as conn:
        for name, kind in relations(url):
            if kind == "S":
                out["sequences"][name] = conn.execute(
                    sql.SQL("SELECT last_value, is_called FROM {}").format(sql.Identifier(name))
                ).fetchone()
                continue
            if kind != "r":
                continue
            columns = [
                r[0]
                for r in conn.execute(
                    "SELECT attname FROM pg_attribute WHERE attrelid = %s::regclass"
                    " AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
                    (name,),
                )
            ]
            query = sql.SQL("SELECT id::text, {} FROM {} ORDER BY id").format(
                sql.SQL(", ").join(sql.SQL("{}::text").format(sql.Identifier(c)) for c in columns),
                sql.Identifier(name),
            )
            rows = {r[0]: dict(zip(columns, r[1:], strict=True)) for r in conn.execute(query)}
            out["tables"][name] = rows
    return out


def row_counts(data: dict[str, Any]) -> dict[str, int]:
    return {table: len(rows) for table, rows in data["tables"].items()}


def assert_no_row_lost(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Every table, row and value of ``before`` is in ``after``, unchanged (a column the
    migration added may be new); every sequence that existed is where it was."""
    assert {s: after["sequences"].get(s) for s in before["sequences"]} == before["sequences"]
    for table, old_rows in before["tables"].items():
        assert table in after["tables"], f"table {table} is gone"
        new_rows = after["tables"][table]
        assert new_rows.keys() == old_rows.keys(), f"{table}: rows added or lost"
        for row_id, old_row in old_rows.items():
            changed = {
                column: (value, new_rows[row_id].get(column, "<column gone>"))
                for column, value in old_row.items()
                if new_rows[row_id].get(column, "<column gone>") != value
            }
            assert not changed, f"{table} id={row_id}: values changed {changed}"


# --- fixtures ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fresh(disposable_databases: Any) -> Iterator[dict[str, Any]]:
    """What migrate makes of an empty database: the shape every state must reach."""
    with disposable_databases.empty() as url:
        assert migrate(url).code == 0
        yield describe(url)


@pytest.fixture(scope="module")
def state_template(disposable_databases: Any) -> Iterator[Callable[[str], str]]:
    """Each state is built once per module; tests get clones (CREATE DATABASE ... TEMPLATE)."""
    built: dict[str, str] = {}
    with contextlib.ExitStack() as stack:

        def template(name: str) -> str:
            if name not in built:
                url = stack.enter_context(
                    temporary_database(disposable_databases.server, purpose="admin-state")
                )
                ADMIN_STATES[name](url)
                built[name] = dbname_of(url)
            return built[name]

        yield template


@pytest.fixture(params=sorted(ADMIN_STATES))
def state(
    request: pytest.FixtureRequest,
    disposable_databases: Any,
    state_template: Callable[[str], str],
) -> Iterator[tuple[str, str]]:
    """(state name, URL of a fresh copy of a database in that state)."""
    with temporary_database(
        disposable_databases.server, template=state_template(request.param), purpose="clone"
    ) as url:
        yield request.param, url


# --- the files ----------------------------------------------------------------------


def test_admin_migrations_are_these() -> None:
    found = sorted(p.name.removesuffix(".sql") for p in MIGRATIONS.glob("*.sql"))
    assert [f for f in found if not f.endswith(".rollback")] == list(ADMIN_MIGRATIONS)
    assert [f for f in found if f.endswith(".rollback")] == [
        f"{m}.rollback" for m in ADMIN_MIGRATIONS
    ]
    assert read_sql_migration(str(MIGRATIONS / "0002_admin_indexes.sql"))[0] == {
        "transactional": "false",
        "depends": "0001_baseline",
    }


def test_admin_migrations_lint_clean() -> None:
    linted = run_cli("lint", str(MIGRATIONS))
    assert linted.code == 0, linted.output
    assert "no unsafe migrations in 3 file(s)" in linted.output


# --- (a) and (b): one shape, every row --------------------------------------------


def test_every_state_converges_and_keeps_every_row(
    state: tuple[str, str], fresh: dict[str, Any]
) -> None:
    name, url = state
    before = snapshot(url)
    migrated = migrate(url)
    assert migrated.code == 0, migrated.output
    assert applied_ids(url) == list(ADMIN_MIGRATIONS)
    assert describe(url) == fresh, name
    verified = verify(url)
    assert verified.code == 0, verified.output
    after = snapshot(url)
    assert row_counts(after) == row_counts(before) | {
        t: 0 for t in row_counts(after).keys() - row_counts(before).keys()
    }  # tables the baseline created are the only new ones, and they are empty
    assert_no_row_lost(before, after)
    if name != "empty":
        assert sum(row_counts(before).values()) > 30, "the state holds the rows we claim"


def test_the_states_hold_what_the_creators_made(
    disposable_databases: Any, state_template: Callable[[str], str]
) -> None:
    """The differences the facts name are really in the states the tests converge."""
    checks = {
        "split_sql_file": (
            "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
            " WHERE attrelid = 'platform_analytics'::regclass AND attname = 'dimensions'",
            "jsonb",
        ),
        # ix_<table>_id on each of the fifteen, and ix_system_media_settings_subscription_plan_id
        "models": ("SELECT count(*)::text FROM pg_class WHERE relname LIKE 'ix\\_%\\_id'", "16"),
        "production_dump": (
            "SELECT count(*)::text FROM pg_constraint"
            " WHERE conrelid = 'base_price_rules'::regclass AND contype = 'c'",
            "4",
        ),
        "psql_partial": (
            "SELECT count(*)::text FROM pg_class"
            " WHERE relkind = 'r' AND relnamespace = current_schema()::regnamespace",
            "7",
        ),
    }
    for name, (query, expected) in checks.items():
        url = disposable_databases.server.url_for(state_template(name))
        with psycopg.connect(url) as conn:
            row = conn.execute(query).fetchone()
        assert row is not None and row[0] == expected, (name, row)


# --- (c) a second run -----------------------------------------------------------------

# Locks this session holds on relations, but the ACCESS SHARE every read takes.
_STRONG_LOCKS = """
SELECT array_agg(held ORDER BY held)
FROM (SELECT DISTINCT relation::regclass::text || ' ' || mode AS held
        FROM pg_locks
       WHERE pid = pg_backend_pid() AND locktype = 'relation'
         AND mode <> 'AccessShareLock') AS locks
"""


def test_running_it_again_changes_nothing_and_locks_nothing(state: tuple[str, str]) -> None:
    name, url = state
    assert migrate(url).code == 0
    shape, data = describe(url), snapshot(url)
    again = migrate(url)
    assert again.code == 0, again.output
    assert "Nothing to apply" in again.output or "nothing to apply" in again.output, again.output
    # The SQL once more, as after a crash between the DDL and the bookkeeping.
    with psycopg.connect(url) as conn:
        with conn.transaction():
            for statement in statements_of("0001_baseline"):
                conn.execute(statement)
            assert conn.execute(_STRONG_LOCKS).fetchone() == (None,), name
        conn.autocommit = True
        for statement in statements_of("0002_admin_indexes"):
            conn.execute(statement)
        conn.autocommit = False
        with conn.transaction():
            for statement in statements_of("0003_admin_unique_constraints"):
                conn.execute(statement)
            assert conn.execute(_STRONG_LOCKS).fetchone() == (None,), name
    assert describe(url) == shape, name
    assert snapshot(url) == data, name


# --- (d) rollback ------------------------------------------------------------------------


def test_rollback_empties_a_fresh_database_and_migrate_reapplies(
    empty_db_url: str, fresh: dict[str, Any]
) -> None:
    url = empty_db_url
    assert migrate(url).code == 0
    rolled = rollback_all(url)
    assert rolled.code == 0, rolled.output
    assert applied_ids(url) == []
    assert relations(url) == []  # the sixteen tables, their sequences and indexes
    assert migrate(url).code == 0
    assert describe(url) == fresh


@pytest.mark.parametrize("name", ["split_sql_file", "models", "production_dump"])
def test_rollback_refuses_where_rows_were_adopted(
    name: str,
    disposable_databases: Any,
    state_template: Callable[[str], str],
    fresh: dict[str, Any],
) -> None:
    with temporary_database(
        disposable_databases.server, template=state_template(name), purpose="clone"
    ) as url:
        assert migrate(url).code == 0
        shape, data = describe(url), snapshot(url)
        rolled = rollback_all(url)
        assert rolled.code == 1, rolled.output
        assert "refusing to roll back 0001_baseline" in rolled.output
        assert "still hold rows" in rolled.output
        # 0003 and 0002 rolled back (they do nothing); the baseline stays, untouched.
        assert applied_ids(url) == ["0001_baseline"]
        assert describe(url) == shape
        assert snapshot(url) == data
        assert migrate(url).code == 0
        assert describe(url) == fresh


# --- (e) what a person must decide -------------------------------------------------------


def test_media_settings_for_missing_plans_are_refused_until_the_plans_exist(
    empty_db_url: str, fresh: dict[str, Any]
) -> None:
    url = empty_db_url
    build_orphan_media_settings(url)
    before_relations, before = relations(url), snapshot(url)
    refused = migrate(url)
    assert refused.code == 1, refused.output
    assert "cannot adopt the admin database as it is, nothing was changed" in refused.output
    assert (
        "system_media_settings.subscription_plan_id: 2 row(s) point at no subscription_plans"
        " (subscription_plan_id 7, 9)"
    ) in refused.output
    assert applied_ids(url) == []
    assert relations(url) == before_relations  # not even subscription_plans was created
    assert snapshot(url) == before

    # The person brings the plans those rows belong to; then it converges.
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            "CREATE TABLE subscription_plans (id serial PRIMARY KEY,"
            " package_title varchar(255) NOT NULL DEFAULT 'Untitled')"
        )
        conn.execute(
            "INSERT INTO subscription_plans (id, package_title) VALUES (7, 'Basic'), (9, 'Pro')"
        )
    kept = snapshot(url)
    assert migrate(url).code == 0
    verified = verify(url)
    assert verified.code == 0, verified.output
    assert_no_row_lost(kept, snapshot(url))
    shape = describe(url)
    assert {t: shape[t] for t in OUR_TABLES if t != "subscription_plans"} == {
        t: fresh[t] for t in OUR_TABLES if t != "subscription_plans"
    }


def test_two_active_rules_for_one_subject_and_format_stop_0002_until_one_is_retired(
    empty_db_url: str, fresh: dict[str, Any]
) -> None:
    url = empty_db_url
    build_duplicate_active_rules(url)
    before = snapshot(url)
    stopped = migrate(url)
    assert stopped.code == 1, stopped.output
    assert 'could not create unique index "idx_unique_active_rules"' in stopped.output
    assert "Key (subject_category, session_format)=(mathematics, Online) is duplicated" in (
        stopped.output
    )
    assert applied_ids(url) == ["0001_baseline"]
    with psycopg.connect(url) as conn:
        invalid = conn.execute("SELECT count(*) FROM pg_index WHERE NOT indisvalid").fetchone()
    assert invalid == (0,)  # the failed build left nothing behind
    assert_no_row_lost(before, snapshot(url))

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("UPDATE base_price_rules SET is_active = false WHERE country = 'KE'")
    assert migrate(url).code == 0
    verified = verify(url)
    assert verified.code == 0, verified.output
    assert describe(url) == fresh


def test_a_table_of_another_shape_under_an_admin_name_is_refused(empty_db_url: str) -> None:
    url = empty_db_url
    build_foreign_announcements(url)
    before_relations, before = relations(url), snapshot(url)
    refused = migrate(url)
    assert refused.code == 1, refused.output
    assert "announcements exists with another shape (0 of its 10 columns)" in refused.output
    assert "This needs a person" in refused.output
    assert relations(url) == before_relations
    assert snapshot(url) == before


def test_the_apps_insert_gets_the_server_defaults_on_a_models_database(
    empty_db_url: str,
) -> None:
    """POST media-settings names six columns; on the models' database the others were
    NULL. After migrate they get production's defaults, as on a fresh database."""
    url = empty_db_url
    build_models(url)
    assert migrate(url).code == 0
    insert = (QUERIES / "media_settings_create.sql").read_text()
    with psycopg.connect(url) as conn:
        conn.execute("INSERT INTO subscription_plans (package_title) VALUES ('Premium')")
        row = conn.execute(
            insert,
            {
                "subscription_plan_id": 1,
                "max_image_size_mb": 20,
                "max_video_size_mb": 500,
                "max_document_size_mb": 20,
                "max_audio_size_mb": 50,
                "storage_limit_gb": 100,
            },
        ).fetchone()
        assert row is not None
        created = conn.execute(
            "SELECT allowed_video_formats::text, auto_optimize_images, max_image_storage_mb,"
            " video_quality_max FROM system_media_settings WHERE id = %s",
            row,
        ).fetchone()
    assert created == ('["mp4", "mov", "avi", "webm"]', True, 0, None)


# --- (f) the advertiser target -----------------------------------------------------------

ADVERTISER_MIGRATIONS = ADVERTISER / "migrations"
ADVERTISER_SPEC = ADVERTISER / "checks" / "schema.toml"


def advertiser(command: str, url: str, *extra: str) -> Result:
    """``astegni-db COMMAND`` on the advertiser target's files (it has no queries)."""
    paths = {
        "migrate": ("--migrations-dir", str(ADVERTISER_MIGRATIONS), "--spec", str(ADVERTISER_SPEC)),
        "rollback": ("--target", "advertiser", "--migrations-dir", str(ADVERTISER_MIGRATIONS)),
        "verify": ("--spec", str(ADVERTISER_SPEC), "--no-queries", "--strict", "--format", "text"),
    }
    return run_cli(command, "--database-url", url, *paths[command], *extra)


def test_the_advertiser_target_adopts_an_unknown_database_through_inspect(
    empty_db_url: str, tmp_path: Path
) -> None:
    """docs/admin-target.md's adoption, command by command, on a database whose tables
    the target does not know: migrate changes nothing, the shipped spec verifies, and
    the spec inspect writes from the named tables verifies too, strictly."""
    url = empty_db_url
    build_advertiser_database(url)
    before_relations, before = relations(url), snapshot(url)

    migrated = advertiser("migrate", url)
    assert migrated.code == 0, migrated.output
    assert relations(url) == before_relations  # advertiser_profiles existed: nothing made
    assert snapshot(url) == before
    verified = advertiser("verify", url)
    assert verified.code == 0, verified.output

    tables = [name for name, kind in before_relations if kind == "r"]
    assert tables == ["advertiser_profiles", "campaign_profile", "company_profile"]
    skeleton = tmp_path / "skeleton.toml"
    skeleton.write_text(
        "format = 1\n" + "".join(f"\n[tables.{t}]\ncolumns = {{}}\n" for t in tables)
    )
    adopted_spec = tmp_path / "schema.toml"
    inspected = run_cli(
        "inspect", "--database-url", url, "--spec", str(skeleton), "-o", str(adopted_spec)
    )
    assert inspected.code == 0, inspected.output
    described = adopted_spec.read_text()
    assert 'grandfather_name = { type = "text", nullable = true }' in described
    assert "campaign_status::text = ANY" in described
    assert 'references = "company_profile"' in described and 'on_delete = "cascade"' in described
    strict = run_cli(
        "verify", "--database-url", url, "--spec", str(adopted_spec), "--no-queries", "--strict"
    )
    assert strict.code == 0, strict.output

    again = advertiser("migrate", url)
    assert again.code == 0 and "othing to apply" in again.output, again.output
    refused = advertiser("rollback", url, "--all", "--yes")
    assert refused.code == 1, refused.output
    assert "advertiser_profiles still holds rows" in refused.output
    assert snapshot(url) == before


def test_a_new_advertiser_database_gets_the_models_profiles_table(empty_db_url: str) -> None:
    """The dev database and the test templates start empty: migrate makes
    advertiser_profiles as create_all would, verify passes, rollback undoes it."""
    url = empty_db_url
    assert advertiser("migrate", url).code == 0
    verified = advertiser("verify", url)
    assert verified.code == 0, verified.output
    with psycopg.connect(url) as conn:
        columns = conn.execute(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'advertiser_profiles'::regclass"
            " AND attnum > 0 AND NOT attisdropped"
        ).fetchone()
    assert columns == (58,)
    rolled = advertiser("rollback", url, "--all", "--yes")
    assert rolled.code == 0, rolled.output
    assert relations(url) == []
