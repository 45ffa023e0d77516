"""`check --from-dump` reads an untrusted file: no line of it may run anything but SQL.

psql would run a dump's ``\\!`` line as a shell command (and ``\\o |cmd``,
``\\setenv``, ``\\i`` ...). astegni-db loads dumps itself, statement by
statement: the meta-commands pg_dump writes are dropped, any other refuses the
file before a single statement runs.
"""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest

from astegni_db.errors import ConfigError, ExitCode
from astegni_db.roundtrip.fixtures import load_dump
from astegni_db.settings import parse_database_url
from tests.helpers import assert_clean_failure, run_cli
from tests.reliability_helpers import scalar


def dump_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "dump.sql"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "meta",
    [
        "\\! touch {marker}",
        "  \\! touch {marker}",
        "\\o |touch {marker}",
        "\\setenv PAGER 'touch {marker}'",
        "\\i {marker}",
        "\\copy t1 to program 'touch {marker}'",
        "\\gexec",
    ],
)
def test_a_meta_command_refuses_the_dump_before_anything_runs(
    meta: str, empty_db_url: str, tmp_path: Path
) -> None:
    marker = tmp_path / "ran"
    text = (
        "CREATE TABLE t1 (id integer);\n"
        + meta.format(marker=marker)
        + "\nCREATE TABLE t2 (id integer);\n"
    )
    target = parse_database_url(empty_db_url, "test")
    with pytest.raises(ConfigError) as refused:
        load_dump(target, dump_file(tmp_path, text))
    assert "line 2: a psql meta-command" in refused.value.message
    assert "nothing was run" in refused.value.message
    assert str(marker) not in refused.value.message  # the command's arguments are not echoed
    assert not marker.exists()
    assert scalar(empty_db_url, "SELECT to_regclass('t1')") is None


def test_check_from_a_dump_with_a_shell_escape_exits_2_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    dump = dump_file(tmp_path, f"CREATE TABLE t1 (id integer);\n\\! touch {marker}\n")
    done = run_cli("check", "--from-dump", str(dump))
    # Refused before a server starts: one line, exit 2.
    assert_clean_failure(done, (ExitCode.USAGE,))
    assert done.stdout == ""
    assert "line 2: a psql meta-command (\\!) that pg_dump does not write" in done.stderr
    assert not marker.exists()


def test_pg_dumps_own_meta_commands_are_dropped_and_copy_rows_are_data(
    empty_db_url: str, tmp_path: Path
) -> None:
    """\\restrict/\\unrestrict (pg_dump 15.14+), \\connect (--create, pg_dumpall), and
    COPY rows that start with a backslash (\\N is NULL)."""
    text = (
        "\\restrict 5MmbuKeykk2Q\n"
        "\\connect -reuse-previous=on \"dbname='elsewhere'\"\n"
        "CREATE TABLE t1 (id integer, note text);\n"
        "COPY public.t1 (id, note) FROM stdin;\n"
        "\\N\tfirst\n"
        "2\t\\\\! not a command\n"
        "\\.\n"
        "\\unrestrict 5MmbuKeykk2Q\n"
    )
    target = parse_database_url(empty_db_url, "test")
    assert load_dump(target, dump_file(tmp_path, text)) == "loaded dump.sql statement by statement"
    with psycopg.connect(empty_db_url) as conn:
        rows = conn.execute("SELECT id, note FROM t1 ORDER BY id NULLS FIRST").fetchall()
    assert rows == [(None, "first"), (2, "\\! not a command")]
