"""Planning from files and bookkeeping, and the checksum rules: no database needed."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from astegni_db.errors import ConfigError
from astegni_db.migrating.bookkeeping import AppliedMigration
from astegni_db.migrating.plan import State, build_plan
from astegni_db.migrating.scaffold import new_migration
from astegni_db.project.migration_files import load_migration_files, normalised_checksum

T0 = datetime(2026, 1, 1)


def write(directory: Path, name: str, text: str) -> None:
    (directory / name).write_text(text)


def test_checksum_ignores_line_endings_and_bom_but_not_content() -> None:
    lf = normalised_checksum(b"SELECT 1;\nSELECT 2;\n")
    assert normalised_checksum(b"SELECT 1;\r\nSELECT 2;\r\n") == lf
    assert normalised_checksum(b"\xef\xbb\xbfSELECT 1;\rSELECT 2;\r") == lf
    assert normalised_checksum(b"SELECT 1;\nSELECT 3;\n") != lf


def test_plan_states(tmp_path: Path) -> None:
    for name in ("0001_a.sql", "0002_b.sql", "0003_c.sql", "0004_d.sql"):
        write(tmp_path, name, f"-- {name}\n")
    files = {f.id: f for f in load_migration_files(tmp_path)}
    applied = [
        AppliedMigration("0001_a", T0, files["0001_a"].checksum),
        AppliedMigration("0002_b", T0, "0" * 64),  # edited since
        AppliedMigration("0003_c", T0, None),  # applied by stock yoyo
        AppliedMigration("0009_gone", T0, "f" * 64),
    ]
    plan = build_plan(list(files.values()), applied)
    states = {e.id: e.state for e in plan.entries}
    assert states == {
        "0001_a": State.APPLIED,
        "0002_b": State.MODIFIED,
        "0003_c": State.UNTRACKED,
        "0009_gone": State.MISSING,
        "0004_d": State.PENDING,
    }
    assert [e.id for e in plan.problems] == ["0002_b", "0009_gone"]
    assert plan.pending[0].out_of_order is False


def test_renamed_file_pairs_with_its_old_id(tmp_path: Path) -> None:
    write(tmp_path, "0002_new_name.sql", "ALTER TABLE t ADD c int;\n")
    (f,) = load_migration_files(tmp_path)
    plan = build_plan([f], [AppliedMigration("0002_old_name", T0, f.checksum)])
    (entry,) = plan.entries
    assert (entry.id, entry.state, entry.renamed_from) == (
        "0002_new_name",
        State.RENAMED,
        "0002_old_name",
    )
    assert plan.pending == []


def test_out_of_order_pending_is_flagged(tmp_path: Path) -> None:
    write(tmp_path, "0001_a.sql", "-- a\n")
    write(tmp_path, "0003_c.sql", "-- c\n")
    files = load_migration_files(tmp_path)
    write(tmp_path, "0002_b.sql", "-- b\n")
    plan = build_plan(
        load_migration_files(tmp_path), [AppliedMigration(f.id, T0, f.checksum) for f in files]
    )
    assert [e.id for e in plan.out_of_order] == ["0002_b"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("0001_bin.sql", b"SELECT 1;\x00\x01", "binary file"),
        ("0001_latin.sql", "SELECT 'caf\xe9';".encode("latin-1"), "not valid UTF-8"),
        ("0001 bad name.sql", b"SELECT 1;", "migration names may use"),
        ("post-apply.sql", b"SELECT 1;", "post-apply hooks are not supported"),
    ],
)
def test_bad_files_are_refused_with_their_path(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ConfigError, match=message):
        load_migration_files(tmp_path)


def test_huge_file_is_refused(tmp_path: Path) -> None:
    with (tmp_path / "0001_dump.sql").open("wb") as f:
        f.truncate(9 * 1024 * 1024)
    with pytest.raises(ConfigError, match="too large"):
        load_migration_files(tmp_path)


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="migrations directory not found"):
        load_migration_files(tmp_path / "nope")


def test_new_migration_numbers_and_depends(tmp_path: Path) -> None:
    write(tmp_path, "0001_baseline.sql", "")
    write(tmp_path, "0001_baseline.rollback.sql", "")
    forward, back = new_migration(tmp_path, "Add session index")
    assert forward.name == "0002_add_session_index.sql"
    assert back.name == "0002_add_session_index.rollback.sql"
    assert "-- depends: 0001_baseline" in forward.read_text()
    with pytest.raises(ConfigError, match="invalid migration name"):
        new_migration(tmp_path, "drop table; --")


def test_new_migration_counts_python_migrations_and_refuses_a_file_for_a_directory(
    tmp_path: Path,
) -> None:
    write(tmp_path, "0001_baseline.sql", "")
    write(tmp_path, "0002_backfill.py", "steps = []\n")
    forward, _ = new_migration(tmp_path, "next")
    assert forward.name == "0003_next.sql"
    assert "-- depends: 0002_backfill" in forward.read_text()
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    with pytest.raises(ConfigError, match="cannot create the migrations directory"):
        new_migration(not_a_directory, "x")
