"""What the application reads (rules AD108/AD109), parsed from checks/queries with
PostgreSQL's grammar: tables are relations the query names, columns are column
references resolved through aliases, and every guess errs towards reading more."""

from __future__ import annotations

from pathlib import Path

import pytest

from astegni_db.errors import ConfigError
from astegni_db.lint import lint_paths
from astegni_db.lint.readset import ReadSet, load_read_set, read_query
from tests.helpers import QUERIES

WHERE = "q.sql"


def read(sql: str) -> ReadSet:
    found = ReadSet()
    read_query(found, sql, WHERE)
    return found


def columns(found: ReadSet) -> set[tuple[str, str]]:
    return set(found.columns)


def test_aliases_resolve_to_their_tables() -> None:
    found = read(
        "SELECT s.topic, u.email FROM tutoring_sessions AS s JOIN users u ON u.id = s.tutor_id"
    )
    assert set(found.tables) == {"tutoring_sessions", "users"}
    assert columns(found) == {
        ("tutoring_sessions", "topic"),
        ("tutoring_sessions", "tutor_id"),
        ("users", "email"),
        ("users", "id"),
    }
    # The aliases are neither tables nor columns.
    assert found.table_reader("s") is None
    assert found.column_reader("users", "s") is None


def test_unqualified_columns_belong_to_every_table_that_could_hold_them() -> None:
    found = read("SELECT topic FROM tutoring_sessions s JOIN users u ON u.id = s.tutor_id")
    assert found.column_reader("tutoring_sessions", "topic") == WHERE
    assert found.column_reader("users", "topic") == WHERE  # without the catalog: either
    assert found.column_reader("users", "tutor_id") is None  # qualified: only s


def test_a_column_named_like_a_keyword() -> None:
    found = read('SELECT "order", year, mode, status, "user" FROM t WHERE "desc" = 1')
    assert columns(found) == {("t", c) for c in ("order", "year", "mode", "status", "user", "desc")}


def test_a_cte_named_like_a_real_table_is_not_that_table() -> None:
    found = read(
        "WITH tutoring_sessions AS (SELECT id, topic FROM archived_sessions)\n"
        "SELECT tutoring_sessions.id, topic FROM tutoring_sessions"
    )
    assert set(found.tables) == {"archived_sessions"}
    assert found.table_reader("tutoring_sessions") is None
    assert columns(found) == {("archived_sessions", "id"), ("archived_sessions", "topic")}


def test_a_later_cte_does_not_hide_a_real_table_from_an_earlier_one() -> None:
    # Without RECURSIVE, a CTE body sees only the CTEs before it: b here is the table.
    found = read("WITH a AS (SELECT x FROM b), b AS (SELECT 1 AS y) SELECT * FROM a, b")
    assert set(found.tables) == {"b"}
    assert found.column_reader("b", "x") == WHERE


def test_a_recursive_cte_reads_its_tables_not_itself() -> None:
    found = read(
        "WITH RECURSIVE tree AS (SELECT id, parent_id FROM categories WHERE parent_id IS NULL"
        " UNION ALL SELECT c.id, c.parent_id FROM categories c JOIN tree ON c.parent_id = tree.id)"
        " SELECT id FROM tree"
    )
    assert set(found.tables) == {"categories"}
    assert columns(found) == {("categories", "id"), ("categories", "parent_id")}


def test_a_string_literal_naming_a_table_is_not_a_read() -> None:
    found = read(
        "SELECT id, 'FROM users JOIN payments' AS note, $$ UPDATE refunds $$ AS other"
        " FROM tutoring_sessions WHERE status = 'tutor_notes' AND E'\\' FROM admins' <> ''"
    )
    assert set(found.tables) == {"tutoring_sessions"}
    assert columns(found) == {("tutoring_sessions", "id"), ("tutoring_sessions", "status")}


def test_quoted_identifiers_keep_their_capitals() -> None:
    found = read('SELECT "Topic", topic FROM "TutoringSessions" WHERE "Id" = 1')
    assert set(found.tables) == {"TutoringSessions"}
    assert columns(found) == {
        ("TutoringSessions", "Topic"),
        ("TutoringSessions", "topic"),
        ("TutoringSessions", "Id"),
    }
    assert found.table_reader("tutoringsessions") is None


def test_schema_qualified_names_are_keyed_by_the_table_name() -> None:
    found = read(
        "SELECT public.tutoring_sessions.topic, s.id FROM public.tutoring_sessions"
        " JOIN app.students s ON s.id = public.tutoring_sessions.student_id"
    )
    assert set(found.tables) == {"tutoring_sessions", "students"}
    assert columns(found) == {
        ("tutoring_sessions", "topic"),
        ("tutoring_sessions", "student_id"),
        ("students", "id"),
    }


def test_subqueries_read_their_own_tables_and_outer_ones() -> None:
    found = read(
        "SELECT id FROM tutoring_sessions s\n"
        " WHERE EXISTS (SELECT 1 FROM payments p WHERE p.session_id = s.id AND refunded)\n"
        "   AND amount > (SELECT avg(amount) FROM (SELECT amount FROM invoices) AS i)"
    )
    assert set(found.tables) == {"tutoring_sessions", "payments", "invoices"}
    # A correlated subquery's unqualified column may be the outer table's.
    assert found.column_reader("tutoring_sessions", "refunded") == WHERE
    assert found.column_reader("payments", "refunded") == WHERE
    assert found.column_reader("payments", "session_id") == WHERE
    assert found.column_reader("invoices", "amount") == WHERE
    # A FROM subquery sees the enclosing levels, not its siblings.
    assert found.column_reader("payments", "id") is None


def test_select_star_and_alias_star_read_every_column() -> None:
    found = read(
        "SELECT s.*, u.email FROM tutoring_sessions s JOIN users u ON u.id = s.tutor_id"
        " JOIN (SELECT * FROM payments) p ON p.session_id = s.id"
    )
    assert found.column_reader("tutoring_sessions", "anything") == WHERE
    assert found.column_reader("payments", "anything") == WHERE
    assert found.column_reader("users", "anything") is None
    assert read("SELECT * FROM refunds").column_reader("refunds", "anything") == WHERE
    assert read("SELECT count(*) FROM refunds").column_reader("refunds", "anything") is None


def test_a_whole_row_reference_reads_every_column() -> None:
    found = read("SELECT row_to_json(s) FROM tutoring_sessions s")
    assert found.column_reader("tutoring_sessions", "anything") == WHERE


def test_join_using_and_natural_join() -> None:
    found = read("SELECT 1 FROM a JOIN b USING (k) NATURAL JOIN c")
    assert found.column_reader("a", "k") == found.column_reader("b", "k") == WHERE
    assert found.column_reader("c", "anything") == WHERE  # the shared columns are unknown


def test_insert_columns_on_conflict_and_returning() -> None:
    found = read(
        "INSERT INTO tutoring_sessions AS t (id, topic) SELECT id, title FROM drafts"
        " ON CONFLICT (id) DO UPDATE SET topic = excluded.topic, updated_at = now()"
        " WHERE t.status <> 'done' RETURNING t.amount"
    )
    assert set(found.tables) == {"tutoring_sessions", "drafts"}
    assert columns(found) == {
        ("tutoring_sessions", c) for c in ("id", "topic", "updated_at", "status", "amount")
    } | {("drafts", "id"), ("drafts", "title")}


def test_update_set_targets_from_and_delete_using() -> None:
    found = read(
        "UPDATE tutoring_sessions s SET payment_status = p.state FROM payments p"
        " WHERE p.session_id = s.id RETURNING *"
    )
    assert found.column_reader("tutoring_sessions", "payment_status") == WHERE
    assert found.column_reader("payments", "state") == WHERE
    assert found.column_reader("tutoring_sessions", "anything") == WHERE  # RETURNING *
    found = read("DELETE FROM refunds r USING payments p WHERE r.payment_id = p.id")
    assert columns(found) == {("refunds", "payment_id"), ("payments", "id")}


def test_for_update_of_names_an_alias_not_a_table() -> None:
    found = read("SELECT s.id FROM tutoring_sessions s FOR UPDATE OF s")
    assert set(found.tables) == {"tutoring_sessions"}


def test_the_projects_queries_read_exactly_these(tmp_path: Path) -> None:
    found = load_read_set(None, QUERIES)
    # Hand-checked against checks/queries/*.sql: the select lists, WHERE and ORDER BY.
    sessions = {
        "id", "enrollment_id", "tutor_id", "student_id", "subject", "topic", "session_date",
        "start_time", "end_time", "duration", "mode", "location", "meeting_link", "objectives",
        "topics_covered", "materials_used", "homework_assigned", "status", "student_attended",
        "tutor_attended", "tutor_notes", "student_feedback", "student_rating", "amount",
        "payment_status", "created_at", "updated_at", "session_frequency", "is_recurring",
        "recurring_pattern", "package_duration", "grade_level",
    }  # fmt: skip
    schedules = {
        "id", "tutor_id", "title", "description", "subject", "subject_type", "grade_level",
        "year", "schedule_type", "months", "days", "specific_dates", "start_time", "end_time",
        "notes", "status", "alarm_enabled", "alarm_before_minutes", "notification_browser",
        "notification_sound", "created_at", "updated_at",
    }  # fmt: skip
    assert set(found.tables) == {"tutoring_sessions", "tutor_teaching_schedules"}
    assert columns(found) == {("tutoring_sessions", c) for c in sessions} | {
        ("tutor_teaching_schedules", c) for c in schedules
    }
    assert found.every_column == {}
    # Files are read in name order; a finding names the first one that reads the column.
    assert found.column_reader("tutoring_sessions", "grade_level") == str(
        QUERIES / "tutor_session.sql"
    )
    assert found.column_reader("tutor_teaching_schedules", "notes") == str(
        QUERIES / "tutor_teaching_schedules.sql"
    )


def test_a_query_the_grammar_refuses_is_a_one_line_config_error(tmp_path: Path) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "broken.sql").write_text(
        "-- the app's list\nSELECT id FROM FROM tutoring_sessions\n"
    )
    with pytest.raises(ConfigError) as raised:
        load_read_set(None, queries)
    message = str(raised.value)
    assert "\n" not in message
    assert message.startswith(f"{queries / 'broken.sql'}:2: ")
    assert "syntax error" in message
    # lint reports it the same way (exit 2), before reading any migration.
    migration = tmp_path / "0001_x.sql"
    migration.write_text("SELECT 1;\n")
    with pytest.raises(ConfigError):
        lint_paths([migration], spec_path=None, queries_dir=queries)


def test_psycopg_placeholders_and_percent_signs_parse(tmp_path: Path) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "a.sql").write_text(
        "SELECT id FROM tutoring_sessions WHERE topic LIKE '%%' || %(q)s AND tutor_id = %(t)s"
    )
    found = load_read_set(None, queries)
    assert columns(found) == {("tutoring_sessions", c) for c in ("id", "topic", "tutor_id")}


def test_a_rename_of_a_column_only_a_string_mentions_passes(tmp_path: Path) -> None:
    queries = tmp_path / "queries"
    queries.mkdir()
    (queries / "a.sql").write_text("SELECT id, 'topic' AS label FROM tutoring_sessions")
    migration = tmp_path / "0002_rename.sql"
    migration.write_text(
        "ALTER TABLE tutoring_sessions RENAME COLUMN topic TO title;\n"
        "ALTER TABLE tutoring_sessions RENAME COLUMN id TO session_id;\n"
    )
    report = lint_paths([migration], spec_path=None, queries_dir=queries, disabled=["AD110"])
    assert [(f.rule, f.line) for f in report.findings] == [("AD108", 2)]
