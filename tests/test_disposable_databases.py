"""The fixture contract other tests rely on: pg_server, empty_db_url, migrated_db_url."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from astegni_db.disposable import DisposableDatabases, Server
from astegni_db.pytest_plugin import migrate_template
from astegni_db.settings import dbname_of
from tests.helpers import MIGRATIONS_DIR


def _database_exists(server: Server, name: str) -> bool:
    with psycopg.connect(server.url) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
    return row is not None


def _user_tables(url: str) -> set[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
        ).fetchall()
    return {r[0] for r in rows}


def test_server_url_is_a_superuser_on_the_maintenance_database(pg_server: Server) -> None:
    with psycopg.connect(pg_server.url) as conn:
        row = conn.execute(
            "SELECT current_database(), rolsuper FROM pg_roles WHERE rolname = current_user"
        ).fetchone()
    assert row is not None
    assert row[1] is True
    assert pg_server.url_for("other").rsplit("/", 1)[1] == "other"


def test_empty_database_has_no_tables(empty_db_url: str) -> None:
    assert _user_tables(empty_db_url) == set()


def test_migrated_clone_carries_the_migration_bookkeeping(migrated_db_url: str) -> None:
    # Even an empty migrations/ directory leaves yoyo's tables behind, which proves the
    # clone came from the migrated template rather than from template1.
    assert "_yoyo_migration" in _user_tables(migrated_db_url)


def test_each_test_gets_its_own_database(
    pg_server: Server, empty_db_url: str, migrated_db_url: str
) -> None:
    assert dbname_of(empty_db_url) != dbname_of(migrated_db_url)
    assert _database_exists(pg_server, dbname_of(empty_db_url))


def test_changes_in_one_clone_do_not_reach_the_next(
    disposable_databases: DisposableDatabases,
) -> None:
    # Two clones in turn, in one test: this used to be two tests, the second
    # meaningful only when it happened to run after the first.
    with disposable_databases.migrated(MIGRATIONS_DIR) as first:
        with psycopg.connect(first) as conn:
            conn.execute("CREATE TABLE leak_probe (id int)")
        assert "leak_probe" in _user_tables(first)
    with disposable_databases.migrated(MIGRATIONS_DIR) as second:
        assert dbname_of(second) != dbname_of(first)
        assert "leak_probe" not in _user_tables(second)


def test_a_broken_migration_fails_every_clone_request_without_retrying(
    private_server: Server, tmp_path: Path
) -> None:
    (tmp_path / "0001_broken.sql").write_text("CREATE TABLE broken (;\n")
    databases = DisposableDatabases(private_server, migrate_template)
    before = _database_names(private_server)
    with pytest.raises(Exception) as first:
        databases.template_for(tmp_path)
    with pytest.raises(Exception) as second:
        databases.template_for(tmp_path)
    assert second.value is first.value  # the same failure, not a second migration run
    # The half-built template was dropped: nothing else uses this server.
    assert _database_names(private_server) == before
    databases.close()


def _database_names(server: Server) -> set[str]:
    with psycopg.connect(server.url) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}
