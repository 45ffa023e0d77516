"""migrate / status / rollback / repair against real, disposable PostgreSQL databases."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest

from astegni_db import api
from astegni_db.errors import Aborted, IntegrityFailure, LockNotAcquired, MigrationFailed
from astegni_db.migrating.attempts import RetryPolicy
from astegni_db.migrating.lock import LOCK_KEY
from astegni_db.migrating.plan import State
from tests.helpers import (
    BASELINE,
    MIGRATIONS_DIR,
    PROJECT_MIGRATIONS,
    REPO,
    SCHEDULE_FIELDS,
    SERVER_DEFAULTS,
    SESSIONS_INDEX,
    SPEC,
    copy_migrations,
    run_cli,
)
from tests.reliability_helpers import columns, scalar

NEW_COLUMNS = (
    "session_frequency",
    "is_recurring",
    "recurring_pattern",
    "package_duration",
    "grade_level",
)


def yoyo_log_ops(url: str) -> list[tuple[str, str]]:
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT migration_id, operation FROM _yoyo_log ORDER BY created_at_utc"
        ).fetchall()


def test_fresh_database_gets_every_migration_once(empty_db_url: str) -> None:
    result = api.migrate(empty_db_url, MIGRATIONS_DIR)
    assert [r.migration_id for r in result.applied] == list(PROJECT_MIGRATIONS)
    cols = columns(empty_db_url, "tutoring_sessions")
    assert cols["session_frequency"] == "character varying(50)"
    assert cols["recurring_pattern"] == "json"
    assert cols["enrollment_id"] == "integer"
    plan = api.status(empty_db_url, MIGRATIONS_DIR).plan
    assert {e.state for e in plan.entries} == {State.APPLIED}

    again = api.migrate(empty_db_url, MIGRATIONS_DIR)
    assert again.applied == []
    assert yoyo_log_ops(empty_db_url) == [(m, "apply") for m in PROJECT_MIGRATIONS]


def test_stock_yoyo_sees_the_same_state(empty_db_url: str) -> None:
    api.migrate(empty_db_url, MIGRATIONS_DIR)
    yoyo = Path(sys.executable).with_name("yoyo")
    url = "postgresql+psycopg://" + empty_db_url.split("://", 1)[1]
    listing = subprocess.run(
        [str(yoyo), "list", "-b", "--database", url, str(MIGRATIONS_DIR)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line.split() for line in listing.splitlines() if "_" in line and line[:1] in "AU"]
    assert sorted((parts[0], parts[1]) for parts in lines) == [("A", m) for m in PROJECT_MIGRATIONS]


def test_migrations_applied_by_stock_yoyo_are_adopted(empty_db_url: str) -> None:
    yoyo = Path(sys.executable).with_name("yoyo")
    url = "postgresql+psycopg://" + empty_db_url.split("://", 1)[1]
    subprocess.run(
        [str(yoyo), "apply", "-b", "--database", url, str(MIGRATIONS_DIR)],
        capture_output=True,
        check=True,
    )
    plan = api.status(empty_db_url, MIGRATIONS_DIR).plan
    assert {e.state for e in plan.entries} == {State.UNTRACKED}
    result = api.migrate(empty_db_url, MIGRATIONS_DIR)
    assert result.applied == [] and result.adopted == list(PROJECT_MIGRATIONS)
    assert {e.state for e in api.status(empty_db_url, MIGRATIONS_DIR).plan.entries} == {
        State.APPLIED
    }


def test_dry_run_prints_sql_and_changes_nothing(empty_db_url: str) -> None:
    before = scalar(
        empty_db_url, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
    )
    res = run_cli("migrate", "--dry-run", "--database-url", empty_db_url)
    assert res.code == 0, res.output
    assert (
        "-- 0001_baseline" in res.stdout
        and "ADD COLUMN IF NOT EXISTS session_frequency" in res.stdout
    )
    after = scalar(
        empty_db_url, "SELECT count(*) FROM pg_class WHERE relnamespace = 'public'::regnamespace"
    )
    assert before == after == 0

    res = run_cli("migrate", "--dry-run", "--format", "json", "--database-url", empty_db_url)
    payload = json.loads(res.stdout)
    assert [p["id"] for p in payload["pending"]] == list(PROJECT_MIGRATIONS)


def test_cli_migrate_json_and_status_check(empty_db_url: str) -> None:
    res = run_cli("status", "--check", "--database-url", empty_db_url)
    assert res.code == 3, res.output
    assert f"{len(PROJECT_MIGRATIONS)} migration(s) pending" in res.stderr
    res = run_cli("status", "--check", "--format", "json", "--database-url", empty_db_url)
    assert res.code == 3
    gate = json.loads(res.stdout)  # one JSON document, not two
    assert (gate["pending"], gate["command"], gate["ok"], gate["exit_code"]) == (
        len(PROJECT_MIGRATIONS),
        "status",
        False,
        3,
    )
    assert f"error: {len(PROJECT_MIGRATIONS)} migration(s) pending" in res.stderr

    res = run_cli("migrate", "--format", "json", "--database-url", empty_db_url)
    assert res.code == 0, res.output
    payload = json.loads(res.stdout)
    assert [a["id"] for a in payload["applied"]] == list(PROJECT_MIGRATIONS)
    assert all(a["duration_ms"] >= 0 and a["attempts"] == 1 for a in payload["applied"])
    # The envelope every command's JSON shares, then migrate's own keys.
    assert list(payload)[:4] == ["version", "command", "ok", "exit_code"]
    assert (payload["version"], payload["command"], payload["ok"], payload["exit_code"]) == (
        1,
        "migrate",
        True,
        0,
    )

    res = run_cli("status", "--check", "--database-url", empty_db_url)
    assert res.code == 0, res.output
    assert f"{len(PROJECT_MIGRATIONS)} applied, 0 pending" in res.stdout


def test_edited_applied_migration_is_refused_until_repaired(
    empty_db_url: str, tmp_path: Path
) -> None:
    migrations = copy_migrations(tmp_path / "m")
    api.migrate(empty_db_url, migrations)

    # CRLF line endings alone are not an edit.
    baseline = migrations / "0001_baseline.sql"
    baseline.write_bytes(baseline.read_bytes().replace(b"\n", b"\r\n"))
    assert {e.state for e in api.status(empty_db_url, migrations).plan.entries} == {State.APPLIED}

    baseline.write_text(baseline.read_text() + "\n-- an innocent-looking edit\n")
    plan = api.status(empty_db_url, migrations).plan
    assert [e.id for e in plan.having(State.MODIFIED)] == ["0001_baseline"]

    res = run_cli("migrate", "--database-url", empty_db_url, "--migrations-dir", str(migrations))
    assert res.code == 5, res.output
    assert "0001_baseline edited after it was applied" in res.stderr
    res = run_cli(
        "status", "--check", "--database-url", empty_db_url, "--migrations-dir", str(migrations)
    )
    assert res.code == 5 and "modified" in res.stdout

    res = run_cli(
        "repair", "--yes", "--database-url", empty_db_url, "--migrations-dir", str(migrations)
    )
    assert res.code == 0, res.output
    assert {e.state for e in api.status(empty_db_url, migrations).plan.entries} == {State.APPLIED}


def test_renamed_and_deleted_migrations_are_detected(empty_db_url: str, tmp_path: Path) -> None:
    migrations = copy_migrations(tmp_path / "m")
    api.migrate(empty_db_url, migrations)
    old = migrations / "0002_tutoring_sessions_schedule_fields.sql"
    old.rename(migrations / "0002_session_fields.sql")
    (migrations / "0002_tutoring_sessions_schedule_fields.rollback.sql").rename(
        migrations / "0002_session_fields.rollback.sql"
    )
    plan = api.status(empty_db_url, migrations).plan
    renamed = plan.having(State.RENAMED)
    assert [(e.id, e.renamed_from) for e in renamed] == [
        ("0002_session_fields", "0002_tutoring_sessions_schedule_fields")
    ]
    assert plan.pending == []  # a renamed file must never be applied a second time
    with pytest.raises(IntegrityFailure, match="renamed to 0002_session_fields"):
        api.migrate(empty_db_url, migrations)

    (migrations / "0002_session_fields.sql").unlink()
    plan = api.status(empty_db_url, migrations).plan
    assert [e.id for e in plan.having(State.MISSING)] == ["0002_tutoring_sessions_schedule_fields"]
    with pytest.raises(IntegrityFailure, match="its file is gone"):
        api.migrate(empty_db_url, migrations)


def test_failing_migration_is_rolled_back_and_named(empty_db_url: str, tmp_path: Path) -> None:
    migrations = copy_migrations(tmp_path / "m")
    (migrations / "0009_broken.sql").write_text(
        "CREATE TABLE half_done (id int);\nALTER TABLE tutoring_sessions ADD COLUMN oops intt;\n"
    )
    res = run_cli("migrate", "--database-url", empty_db_url, "--migrations-dir", str(migrations))
    assert res.code == 1, res.output
    assert "apply of 0009_broken failed" in res.stderr
    assert "rolled back" in res.stderr and "Traceback" not in res.output
    assert scalar(empty_db_url, "SELECT to_regclass('half_done')") is None
    plan = api.status(empty_db_url, migrations).plan
    assert [e.id for e in plan.pending] == ["0009_broken"]
    # the good ones before it stay applied
    assert len(plan.having(State.APPLIED)) == len(PROJECT_MIGRATIONS)


def test_rollback_and_reapply(empty_db_url: str) -> None:
    api.migrate(empty_db_url, MIGRATIONS_DIR)
    res = run_cli("rollback", "--database-url", empty_db_url)  # not a TTY and no --yes
    assert res.code == 2 and "without --yes" in res.stderr

    res = run_cli("rollback", "--yes", "--to", BASELINE, "--database-url", empty_db_url)
    assert res.code == 0, res.output
    assert not set(NEW_COLUMNS) & set(columns(empty_db_url, "tutoring_sessions"))
    pending = api.status(empty_db_url, MIGRATIONS_DIR).plan.pending
    assert [e.id for e in pending] == [SCHEDULE_FIELDS, SESSIONS_INDEX, SERVER_DEFAULTS]

    api.rollback(empty_db_url, MIGRATIONS_DIR, api.RollbackSelection(all=True))
    assert scalar(empty_db_url, "SELECT to_regclass('tutoring_sessions')") is None
    assert scalar(empty_db_url, "SELECT count(*) FROM _yoyo_migration") == 0

    api.migrate(empty_db_url, MIGRATIONS_DIR)
    assert set(NEW_COLUMNS) <= set(columns(empty_db_url, "tutoring_sessions"))


def test_rollback_confirms_and_runs_in_one_locked_session(
    migrated_db_url: str, tmp_path: Path
) -> None:
    """What the prompt showed is what runs: the lock is held while it waits, and the
    rollback text read for the plan is the one executed, whatever the disk says later."""
    migrations = copy_migrations(tmp_path / "m")
    rollback_file = migrations / "0002_tutoring_sessions_schedule_fields.rollback.sql"
    asked: list[tuple[str, str]] = []

    def confirm(question: str, action: str) -> bool:
        asked.append((question, action))
        # Another run cannot take the lock meanwhile ...
        with pytest.raises(LockNotAcquired):
            api.migrate(migrated_db_url, migrations, api.MigrateOptions(lock_timeout_s=0))
        # ... and an edit made after the plan changes nothing about what runs.
        rollback_file.write_text("SELECT 1/0;\n")
        return True

    to_baseline = api.RollbackSelection(to=BASELINE)
    report = api.rollback(migrated_db_url, migrations, to_baseline, confirm=confirm)
    ((question, action),) = asked
    newest_first = [SERVER_DEFAULTS, SESSIONS_INDEX, SCHEDULE_FIELDS]
    assert action == f"roll back {', '.join(newest_first)}"
    assert question.startswith(f"Roll back {', '.join(newest_first)} on ")
    assert "***" in question or "@" not in question  # the URL is shown redacted
    assert [r.migration_id for r in report.rolled_back] == newest_first
    assert not set(NEW_COLUMNS) & set(columns(migrated_db_url, "tutoring_sessions"))


def test_declined_rollback_changes_nothing(migrated_db_url: str) -> None:
    with pytest.raises(Aborted):
        api.rollback(migrated_db_url, MIGRATIONS_DIR, confirm=lambda question, action: False)
    assert set(NEW_COLUMNS) <= set(columns(migrated_db_url, "tutoring_sessions"))
    assert api.status(migrated_db_url, MIGRATIONS_DIR).plan.pending == []


def test_rollback_without_a_rollback_file_fails_before_asking(
    migrated_db_url: str, tmp_path: Path
) -> None:
    migrations = copy_migrations(tmp_path / "m")
    (migrations / "0002_tutoring_sessions_schedule_fields.rollback.sql").unlink()

    def confirm(question: str, action: str) -> bool:
        raise AssertionError("asked to confirm a rollback that cannot run")

    with pytest.raises(MigrationFailed, match=f"no rollback for {SCHEDULE_FIELDS}"):
        api.rollback(
            migrated_db_url, migrations, api.RollbackSelection(to=BASELINE), confirm=confirm
        )


def test_repair_confirms_under_the_lock(empty_db_url: str, tmp_path: Path) -> None:
    migrations = copy_migrations(tmp_path / "m")
    api.migrate(empty_db_url, migrations)
    baseline = migrations / "0001_baseline.sql"
    baseline.write_text(baseline.read_text() + "\n-- reviewed\n")
    with pytest.raises(Aborted):
        api.repair(empty_db_url, migrations, confirm=lambda question, action: False)
    modified = api.status(empty_db_url, migrations).plan.having(State.MODIFIED)
    assert [e.id for e in modified] == ["0001_baseline"]  # declined: nothing recorded
    res = run_cli("repair", "--database-url", empty_db_url, "--migrations-dir", str(migrations))
    assert res.code == 2 and "refusing to repair without --yes" in res.stderr

    def confirm(question: str, action: str) -> bool:
        assert question == "Accept: 0001_baseline edited after it was applied?"
        with pytest.raises(LockNotAcquired):
            api.migrate(empty_db_url, migrations, api.MigrateOptions(lock_timeout_s=0))
        return True

    assert api.repair(empty_db_url, migrations, confirm=confirm).done == [
        "accepted the edited 0001_baseline"
    ]
    assert {e.state for e in api.status(empty_db_url, migrations).plan.entries} == {State.APPLIED}


def test_rollback_refuses_to_destroy_data(migrated_db_url: str) -> None:
    with psycopg.connect(migrated_db_url, autocommit=True) as conn:
        conn.execute(
            "INSERT INTO tutoring_sessions (subject, session_date, start_time, session_frequency) "
            "VALUES ('Maths', '2025-01-15', '14:00', 'weekly')"
        )
    with pytest.raises(MigrationFailed, match="rolled back; nothing was changed"):
        api.rollback(migrated_db_url, MIGRATIONS_DIR, api.RollbackSelection(to=BASELINE))
    assert set(NEW_COLUMNS) <= set(columns(migrated_db_url, "tutoring_sessions"))
    assert scalar(migrated_db_url, "SELECT session_frequency FROM tutoring_sessions") == "weekly"


def test_second_run_waits_for_the_advisory_lock_then_gives_up(migrated_db_url: str) -> None:
    with psycopg.connect(migrated_db_url, autocommit=True, application_name="deploy-1") as holder:
        holder.execute("SELECT pg_advisory_lock(%s, %s)", LOCK_KEY)
        res = run_cli("migrate", "--lock-timeout", "0.3", "--database-url", migrated_db_url)
        assert res.code == 4, res.output
        assert f"pid {holder.info.backend_pid} (deploy-1" in res.stderr
    # The holder's session ended: the server dropped its lock, nothing to clean up.
    assert run_cli("migrate", "--lock-timeout", "0", "--database-url", migrated_db_url).code == 0


def test_killed_run_leaves_no_lock_behind(migrated_db_url: str) -> None:
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time, psycopg\n"
            "c = psycopg.connect(sys.argv[1], autocommit=True)\n"
            "c.execute('SELECT pg_advisory_lock(%s, %s)', (0x41535445, 0x474E4931))\n"
            "print('locked', flush=True); time.sleep(60)",
            migrated_db_url,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait()
    deadline = time.monotonic() + 10
    while scalar(migrated_db_url, "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'") != 0:
        assert time.monotonic() < deadline, "the server kept a dead process's advisory lock"
        time.sleep(0.05)
    res = run_cli("migrate", "--lock-timeout", "0", "--database-url", migrated_db_url)
    assert res.code == 0, res.output


def test_concurrent_migrates_apply_each_migration_once(empty_db_url: str) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "astegni_db", "migrate", "--database-url", empty_db_url],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(4)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0, 0], outputs
    ops = yoyo_log_ops(empty_db_url)
    assert sorted(ops) == [(m, "apply") for m in PROJECT_MIGRATIONS]
    applied_all = f"Applied {len(PROJECT_MIGRATIONS)} migration(s)"
    assert sum(applied_all in out for out, _ in outputs) == 1


def _partially_migrated(url: str, tmp_path: Path) -> Path:
    """A database with only the baseline applied; returns a copy up to 0002 (the ALTER)."""
    api.migrate(url, copy_migrations(tmp_path / "baseline", upto=BASELINE))
    return copy_migrations(tmp_path / "upto-0002", upto=SCHEDULE_FIELDS)


def test_ddl_gives_up_on_a_long_transaction_and_names_it(empty_db_url: str, tmp_path: Path) -> None:
    migrations = _partially_migrated(empty_db_url, tmp_path)
    with psycopg.connect(empty_db_url, application_name="long-report") as blocker:
        blocker.execute("SELECT count(*) FROM tutoring_sessions")  # holds ACCESS SHARE until commit
        res = run_cli(
            "migrate",
            "--ddl-lock-timeout",
            "50",
            "--ddl-retries",
            "2",
            "--database-url",
            empty_db_url,
            "--migrations-dir",
            str(migrations),
        )
        assert res.code == 4, res.output
        assert f"pid {blocker.info.backend_pid} (long-report" in res.stderr
        assert "gave up after 3 attempts" in res.stderr
        blocker.rollback()
    assert not set(NEW_COLUMNS) & set(columns(empty_db_url, "tutoring_sessions"))


def test_ddl_retries_until_the_blocker_ends(empty_db_url: str, tmp_path: Path) -> None:
    migrations = _partially_migrated(empty_db_url, tmp_path)
    blocker = psycopg.connect(empty_db_url)
    blocker.execute("SELECT count(*) FROM tutoring_sessions")
    timer = threading.Timer(0.8, blocker.rollback)
    timer.start()
    try:
        result = api.migrate(
            empty_db_url,
            migrations,
            api.MigrateOptions(
                ddl=RetryPolicy(lock_timeout_ms=50, retries=20, backoff_initial_s=0.05)
            ),
        )
    finally:
        timer.join()
        blocker.close()
    (step,) = result.applied
    assert step.migration_id == SCHEDULE_FIELDS and step.attempts > 1
    assert set(NEW_COLUMNS) <= set(columns(empty_db_url, "tutoring_sessions"))


def test_blocked_migration_does_not_stall_other_queries(empty_db_url: str, tmp_path: Path) -> None:
    """While our ALTER waits, a reader queued behind it waits at most ~lock_timeout."""
    migrations = _partially_migrated(empty_db_url, tmp_path)
    blocker = psycopg.connect(empty_db_url)
    blocker.execute("SELECT count(*) FROM tutoring_sessions")
    waits: list[float] = []

    def reader() -> None:
        with psycopg.connect(empty_db_url, autocommit=True) as conn:
            for _ in range(20):
                started = time.perf_counter()
                conn.execute("SELECT count(*) FROM tutoring_sessions")
                waits.append(time.perf_counter() - started)
                time.sleep(0.02)

    thread = threading.Thread(target=reader)
    with pytest.raises(LockNotAcquired):
        thread.start()
        api.migrate(
            empty_db_url,
            migrations,
            api.MigrateOptions(
                ddl=RetryPolicy(lock_timeout_ms=100, retries=3, backoff_initial_s=0.05)
            ),
        )
    thread.join()
    blocker.close()
    # Generous bound (shared machine); without lock_timeout the reader would wait
    # for the whole blocking transaction, i.e. until the test ends.
    assert max(waits) < 2.0


def test_role_without_create_rights_gets_a_clear_error(
    pg_server: object, empty_db_url: str
) -> None:
    with psycopg.connect(empty_db_url, autocommit=True) as conn:
        conn.execute("DROP ROLE IF EXISTS astegni_reader")
        conn.execute("CREATE ROLE astegni_reader LOGIN PASSWORD 'Reader-Secret-42'")
        conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    user_url = empty_db_url.replace("postgres:", "astegni_reader:", 1)
    user_url = user_url.split("@", 1)[1]
    user_url = "postgresql://astegni_reader:Reader-Secret-42@" + user_url
    try:
        res = run_cli("migrate", "--database-url", user_url)
        assert res.code == 1, res.output
        assert "permission denied" in res.stderr
        assert "Reader-Secret-42" not in res.output and "Traceback" not in res.output
        # status only reads: it works for the same role.
        res = run_cli("status", "--database-url", user_url)
        assert res.code == 0, res.output
        assert f"0 applied, {len(PROJECT_MIGRATIONS)} pending" in res.stdout
    finally:
        with psycopg.connect(empty_db_url, autocommit=True) as conn:
            conn.execute("DROP OWNED BY astegni_reader")
            conn.execute("DROP ROLE astegni_reader")


def test_wrong_password_and_missing_database(empty_db_url: str) -> None:
    userinfo, rest = empty_db_url.split("://", 1)[1].split("@", 1)
    user = userinfo.split(":", 1)[0]
    wrong = f"postgresql://{user}:Not-The-Password-9@{rest}"
    res = run_cli("migrate", "--database-url", wrong)
    assert res.code == 7, res.output
    assert "password authentication failed" in res.stderr
    assert "Not-The-Password-9" not in res.output

    missing = empty_db_url.rsplit("/", 1)[0] + "/no_such_database"
    res = run_cli("status", "--format", "json", "--database-url", missing)
    assert res.code == 7
    assert json.loads(res.stdout)["error"]["exit_code"] == 7
    assert 'database "no_such_database" does not exist' in res.stderr


def test_legacy_spellings_are_kept_and_reported(empty_db_url: str) -> None:
    from tests.legacy_states import build_state_4

    build_state_4(empty_db_url)
    before = scalar(
        empty_db_url,
        "SELECT count(*) FROM tutoring_sessions WHERE session_frequency IN ('Weekly', 'One-time')",
    )
    assert isinstance(before, int) and before > 0
    res = run_cli("migrate", "--format", "json", "--database-url", empty_db_url)
    assert res.code == 0, res.output
    warnings = json.loads(res.stdout)["data_warnings"]
    assert any("session_frequency" in w and "'Weekly'" in w for w in warnings), warnings
    after = scalar(
        empty_db_url,
        "SELECT count(*) FROM tutoring_sessions WHERE session_frequency IN ('Weekly', 'One-time')",
    )
    assert after == before  # reported, never rewritten


def test_if_not_exists_chatter_is_dropped_but_raised_notices_are_kept(
    empty_db_url: str, tmp_path: Path
) -> None:
    migrations = copy_migrations(tmp_path / "m")
    (migrations / "0009_note.sql").write_text(
        "CREATE TABLE IF NOT EXISTS users (id serial PRIMARY KEY);\n"
        "DO $$ BEGIN RAISE NOTICE 'normalise the Weekly rows before adding a CHECK'; END $$;\n"
    )
    result = api.migrate(empty_db_url, migrations)
    notes = [n for r in result.applied for n in r.notices]
    assert notes == ["notice: normalise the Weekly rows before adding a CHECK"]


# --- what convergence changed, and the bounded data check (issue 13, parts 4 and 5) --------


def test_state_4_migrate_names_the_dropped_legacy_defaults_and_their_consequence(
    empty_db_url: str,
) -> None:
    from tests.legacy_states import build_state_4

    build_state_4(empty_db_url)
    report = api.migrate(empty_db_url, MIGRATIONS_DIR, data_check_spec=SPEC)
    lines = [c.describe() for c in report.behaviour_changes]
    assert (
        "tutoring_sessions.session_frequency: dropped legacy default "
        "'one-time'::character varying: rows inserted without this column now get NULL"
    ) in lines, lines
    assert (
        "tutoring_sessions.is_recurring: dropped legacy default false: "
        "rows inserted without this column now get NULL"
    ) in lines, lines
    # 0002's own comments replaced the transactional script's, and 0003 built its index.
    assert any(
        line.startswith("tutoring_sessions.session_frequency: comment rewritten") for line in lines
    )
    assert any("index tutoring_sessions_tutor_date_idx added" in line for line in lines), lines
    assert report.behaviour_warnings == []
    # Nothing else about the table changed: no line about a column 0002 found in place.
    assert not any(line.startswith("tutoring_sessions.grade_level: column") for line in lines)


def test_state_4_cli_json_lists_behaviour_changes(empty_db_url: str) -> None:
    from tests.legacy_states import build_state_4

    build_state_4(empty_db_url)
    res = run_cli("migrate", "--format", "json", "--database-url", empty_db_url)
    assert res.code == 0, res.output
    changes = json.loads(res.stdout)["behaviour_changes"]
    dropped = {c["column"]: c for c in changes if c["change"].startswith("dropped legacy default")}
    assert dropped["session_frequency"] == {
        "table": "tutoring_sessions",
        "column": "session_frequency",
        "change": "dropped legacy default 'one-time'::character varying",
        "before": "'one-time'::character varying",
        "after": None,
        "consequence": "rows inserted without this column now get NULL",
    }
    assert dropped["is_recurring"]["before"] == "false"
    assert dropped["is_recurring"]["consequence"] == (
        "rows inserted without this column now get NULL"
    )


def test_state_4_cli_text_has_a_changed_behaviour_block(empty_db_url: str) -> None:
    from tests.legacy_states import build_state_4

    build_state_4(empty_db_url)
    res = run_cli("migrate", "--database-url", empty_db_url)
    assert res.code == 0, res.output
    assert "changed behaviour:" in res.stdout
    assert (
        "  tutoring_sessions.is_recurring: dropped legacy default false: "
        "rows inserted without this column now get NULL"
    ) in res.stdout


def test_fresh_database_reports_tables_created_and_a_noop_reports_nothing(
    empty_db_url: str,
) -> None:
    report = api.migrate(empty_db_url, MIGRATIONS_DIR, data_check_spec=SPEC)
    created = {c.table for c in report.behaviour_changes if c.change.startswith("table created")}
    assert "tutoring_sessions" in created and "users" in created
    # A created table's columns come with it, not as news of their own.
    assert all(c.column is None for c in report.behaviour_changes)
    again = api.migrate(empty_db_url, MIGRATIONS_DIR, data_check_spec=SPEC)
    assert (again.applied, again.behaviour_changes, again.behaviour_warnings) == ([], [], [])
    assert again.json_body()["behaviour_changes"] == []


def test_state_1_reports_the_added_columns(empty_db_url: str) -> None:
    from tests.legacy_states import build_state_1

    build_state_1(empty_db_url)
    report = api.migrate(empty_db_url, MIGRATIONS_DIR, data_check_spec=SPEC)
    added = {
        c.column: c.consequence
        for c in report.behaviour_changes
        if c.change.startswith("column added")
    }
    assert set(added) == set(NEW_COLUMNS)
    assert added["grade_level"] == "existing rows read NULL; rows inserted without it get NULL"


def test_without_a_spec_no_changes_are_described(empty_db_url: str, tmp_path: Path) -> None:
    report = api.migrate(empty_db_url, MIGRATIONS_DIR, data_check_spec=tmp_path / "none.toml")
    assert report.applied and report.behaviour_changes == []


def test_a_locked_table_after_migrating_leaves_changes_undescribed_not_failed(
    empty_db_url: str, tmp_path: Path
) -> None:
    """The second look waits no longer than the session's lock_timeout, then warns."""
    api.migrate(empty_db_url, MIGRATIONS_DIR)
    migrations = copy_migrations(tmp_path / "m")
    # The migration commits, then takes the table lock from another session before
    # migrate looks again: a CHECK makes the catalog read open the table.
    (migrations / "0009_lock.sql").write_text(
        "ALTER TABLE tutoring_sessions ADD CONSTRAINT duration_positive CHECK (duration > 0);\n"
    )
    holder = psycopg.connect(empty_db_url)
    from astegni_db.migrating.attempts import Event

    def lock_after_commit(event: Event) -> None:
        if event.kind == "done":
            holder.execute("LOCK TABLE tutoring_sessions IN ACCESS EXCLUSIVE MODE")

    try:
        report = api.migrate(
            empty_db_url,
            migrations,
            api.MigrateOptions(lock_timeout_s=0.5),
            on_event=lock_after_commit,
            data_check_spec=SPEC,
            data_check_timeout_s=0,
        )
    finally:
        holder.close()
    assert [r.migration_id for r in report.applied] == ["0009_lock"]
    assert report.exit_code == 0 and report.behaviour_changes == []
    [warning] = report.behaviour_warnings
    assert warning.startswith("changes not described: "), warning
    assert "0009_lock" in [m for m, _ in yoyo_log_ops(empty_db_url)]


def test_data_check_on_a_big_table_is_sampled_and_labelled(empty_db_url: str) -> None:
    from tests.legacy_states import add_bulk_sessions, build_state_4

    build_state_4(empty_db_url)
    add_bulk_sessions(empty_db_url, 300_000)  # VACUUM ANALYZE: reltuples says 300k
    report = api.migrate(empty_db_url, MIGRATIONS_DIR, data_check_spec=SPEC)
    status = [w for w in report.data_warnings if w.startswith("tutoring_sessions.status")]
    assert len(status) == 1, report.data_warnings
    assert "≈" in status[0] and "sampled estimate" in status[0], status[0]
    assert "`astegni-db verify` counts exactly" in status[0]
    # verify is the explicit check: its count is exact.
    exact = [
        f.message
        for f in api.verify(empty_db_url, SPEC, None).findings
        if f.object == "tutoring_sessions.status" and f.kind == "data"
    ]
    assert exact and "≈" not in exact[0] and "'missed' x" in exact[0], exact


def test_data_check_small_table_counts_exactly(empty_db_url: str) -> None:
    from tests.legacy_states import build_state_4

    build_state_4(empty_db_url)
    report = api.migrate(empty_db_url, MIGRATIONS_DIR, data_check_spec=SPEC)
    assert report.data_warnings and not any("≈" in w for w in report.data_warnings)


def test_data_check_timeout_is_a_warning_and_the_migration_stands(empty_db_url: str) -> None:
    from tests.legacy_states import add_bulk_sessions, build_state_4

    build_state_4(empty_db_url)
    # 50k rows: counted exactly (below the sampling threshold), in far more than 1 ms.
    add_bulk_sessions(empty_db_url, 50_000)
    res = run_cli(
        "migrate",
        "--format",
        "json",
        "--data-check-timeout",
        "0.001",
        "--database-url",
        empty_db_url,
    )
    assert res.code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["data_warnings"] == [
        "values not checked within 0.001 s; run `astegni-db verify` for the full count"
    ]
    assert [a["id"] for a in payload["applied"]] == list(PROJECT_MIGRATIONS)
    assert api.status(empty_db_url, MIGRATIONS_DIR).plan.pending == []


def test_data_check_timeout_zero_skips_the_count(empty_db_url: str) -> None:
    from tests.legacy_states import build_state_4

    build_state_4(empty_db_url)
    res = run_cli(
        "migrate", "--format", "json", "--data-check-timeout", "0", "--database-url", empty_db_url
    )
    assert res.code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["data_warnings"] == [] and payload["behaviour_changes"]
