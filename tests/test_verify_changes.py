"""verify/changes.py: what a migrate changed, from two catalogs, without a database."""

from __future__ import annotations

from astegni_db.verify.catalog import (
    Catalog,
    LiveCheck,
    LiveColumn,
    LiveForeignKey,
    LiveIndex,
    LiveTable,
)
from astegni_db.verify.changes import Change, describe_changes


def col(
    name: str,
    type: str = "integer",
    *,
    nullable: bool = True,
    default: str | None = None,
    comment: str | None = None,
    identity: str = "",
) -> LiveColumn:
    return LiveColumn(name, type, nullable, default, identity, "", comment, None)


def table(name: str = "tutoring_sessions", *columns: LiveColumn, **parts: object) -> LiveTable:
    live = LiveTable(name=name, oid=1, kind="r", columns={c.name: c for c in columns})
    for key, value in parts.items():
        setattr(live, key, value)
    return live


def catalog(*tables: LiveTable, missing: tuple[str, ...] = ()) -> Catalog:
    relations: dict[str, LiveTable | None] = {t.name: t for t in tables}
    relations.update({name: None for name in missing})
    return Catalog(relations=relations)


def lines(before: Catalog, after: Catalog) -> list[str]:
    return [c.describe() for c in describe_changes(before, after)]


def test_identical_catalogs_change_nothing() -> None:
    same = catalog(table("t", col("id", nullable=False), col("note", "text", comment="x")))
    assert describe_changes(same, same) == []
    assert describe_changes(catalog(missing=("t",)), catalog(missing=("t",))) == []


def test_dropped_legacy_defaults() -> None:
    before = catalog(
        table(
            "tutoring_sessions",
            col(
                "session_frequency",
                "character varying(50)",
                default="'one-time'::character varying",
            ),
            col("is_recurring", "boolean", default="false"),
        )
    )
    after = catalog(
        table(
            "tutoring_sessions",
            col("session_frequency", "character varying(50)"),
            col("is_recurring", "boolean"),
        )
    )
    changes = describe_changes(before, after)
    assert [c.describe() for c in changes] == [
        "tutoring_sessions.session_frequency: dropped legacy default "
        "'one-time'::character varying: rows inserted without this column now get NULL",
        "tutoring_sessions.is_recurring: dropped legacy default false: "
        "rows inserted without this column now get NULL",
    ]
    assert changes[1] == Change(
        "tutoring_sessions",
        "is_recurring",
        "dropped legacy default false",
        "false",
        None,
        "rows inserted without this column now get NULL",
    )


def test_dropped_default_on_a_not_null_column_makes_inserts_fail() -> None:
    before = catalog(table("t", col("a", nullable=False, default="0")))
    after = catalog(table("t", col("a", nullable=False)))
    assert lines(before, after) == [
        "t.a: dropped legacy default 0: rows inserted without this column now get "
        "an error (NOT NULL, no default)"
    ]


def test_default_set_and_changed() -> None:
    before = catalog(table("t", col("duration"), col("mode", "text", default="'online'::text")))
    after = catalog(
        table("t", col("duration", default="60"), col("mode", "text", default="'offline'::text"))
    )
    assert lines(before, after) == [
        "t.duration: default set to 60 (was none): "
        "rows inserted without this column now get 60 instead of NULL",
        "t.mode: default changed to 'offline'::text (was 'online'::text): "
        "rows inserted without this column now get 'offline'::text instead of 'online'::text",
    ]


def test_not_null_dropped_and_added() -> None:
    before = catalog(table("t", col("tutor_id", nullable=False), col("b"), col("c", default="1")))
    after = catalog(
        table("t", col("tutor_id"), col("b", nullable=False), col("c", nullable=False, default="1"))
    )
    assert lines(before, after) == [
        "t.tutor_id: NOT NULL dropped: NULL is now accepted",
        "t.b: now NOT NULL: inserts of NULL now fail, as do inserts without this column",
        "t.c: now NOT NULL: inserts of NULL now fail",
    ]


def test_columns_added_dropped_retyped_and_commented() -> None:
    before = catalog(
        table("t", col("gone", "text"), col("n", "integer"), col("doc", "text", comment="old"))
    )
    after = catalog(
        table(
            "t",
            col("n", "bigint"),
            col("doc", "text", comment="new"),
            col("fresh", "character varying(50)"),
            col("flag", "boolean", default="false"),
            col("must", "integer", nullable=False),
        )
    )
    assert lines(before, after) == [
        "t.n: type changed to bigint (was integer): values are now stored and returned as bigint",
        "t.doc: comment rewritten: documentation only: reads and writes behave as before",
        "t.fresh: column added (character varying(50), nullable, no default): "
        "existing rows read NULL; rows inserted without it get NULL",
        "t.flag: column added (boolean, nullable, default false): "
        "existing rows and rows inserted without it get false",
        "t.must: column added (integer, NOT NULL, no default): "
        "inserts without this column now fail (NOT NULL, no default)",
        "t.gone: column dropped: its values are gone; queries and writes naming it now fail",
    ]


def test_tables_created_and_dropped_without_their_columns() -> None:
    before = catalog(table("old", col("id")), missing=("new",))
    after = catalog(table("new", col("id"), col("x")), missing=("old",))
    changes = describe_changes(before, after)
    assert [(c.table, c.column, c.change, c.before, c.after) for c in changes] == [
        ("new", None, "table created (2 columns)", None, "table"),
        ("old", None, "table dropped", "table", None),
    ]


def test_checks_foreign_keys_keys_and_indexes() -> None:
    check = LiveCheck("duration_positive", "CHECK (duration > 0)", True)
    fk = LiveForeignKey(
        "t_tutor_fk", ("tutor_id",), "tutor_profiles", ("id",), "no action", "no action", True
    )
    unique = LiveIndex("t_code_key", "btree", ("code",), (), None, True, True)
    plain = LiveIndex(
        "t_date_idx", "btree", ("tutor_id", "session_date DESC"), (), None, False, True
    )
    before = catalog(table("t", checks=[check], indexes=[unique]))
    after = catalog(
        table(
            "t",
            primary_key=("id",),
            checks=[LiveCheck("status_known", "CHECK (status IS NOT NULL)", False)],
            foreign_keys=[fk],
            indexes=[plain],
        )
    )
    assert lines(before, after) == [
        "t: primary key (id) added: duplicate or NULL values of (id) now fail",
        "t: check status_known added: CHECK (status IS NOT NULL): inserts and updates that "
        "break it now fail; existing rows were not checked (NOT VALID)",
        "t: check duration_positive dropped: CHECK (duration > 0): "
        "values it rejected are now accepted",
        "t: foreign key t_tutor_fk added: (tutor_id) -> tutor_profiles(id) ON DELETE no action "
        "ON UPDATE no action: writes of (tutor_id) must now match a row of tutor_profiles; "
        "deleting that row fails while rows point at it",
        "t: index t_date_idx added: btree (tutor_id, session_date DESC): "
        "queries can use it; every write also maintains it",
        "t: index t_code_key dropped: UNIQUE btree (code): "
        "duplicate values of (code) are now accepted",
    ]
    undone = lines(after, before)
    assert (
        "t: index t_code_key added: UNIQUE btree (code): duplicate values of (code) now fail"
    ) in undone
    assert "t: primary key (id) dropped: duplicate rows are now accepted" in undone
    assert (
        "t: foreign key t_tutor_fk dropped: (tutor_id) -> tutor_profiles(id) ON DELETE no action"
        " ON UPDATE no action: values of (tutor_id) are no longer checked against tutor_profiles"
    ) in undone


def test_changed_definitions_under_the_same_name() -> None:
    fk = LiveForeignKey("fk", ("a",), "p", ("id",), "no action", "no action", True)
    before = catalog(
        table(
            "t",
            checks=[LiveCheck("c", "CHECK (a > 0)", False)],
            foreign_keys=[fk],
            indexes=[LiveIndex("i", "btree", ("a",), (), None, False, False)],
        )
    )
    after = catalog(
        table(
            "t",
            checks=[LiveCheck("c", "CHECK (a > 0)", True)],
            foreign_keys=[fk._replace(on_delete="cascade")],
            indexes=[LiveIndex("i", "btree", ("a",), (), None, False, True)],
        )
    )
    assert lines(before, after) == [
        "t: check c validated: every existing row is now known to satisfy it",
        "t: foreign key fk changed to (a) -> p(id) ON DELETE cascade ON UPDATE no action "
        "(was (a) -> p(id) ON DELETE no action ON UPDATE no action): deleting "
        "a referenced row of p now deletes these rows too (ON UPDATE no action)",
        "t: index i is now valid: queries can now use it",
    ]


def test_a_view_replaced_by_a_table() -> None:
    view = LiveTable(name="t", oid=1, kind="v")
    assert lines(catalog(view), catalog(table("t", col("id")))) == [
        "t: is now a table (was a view): what queries and writes on it can do follows the new kind"
    ]
