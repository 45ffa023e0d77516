"""The properties verify compares beyond names and types, on real throwaway databases.

For each one (an index's operator class, collation, NULLS NOT DISTINCT,
method, predicate and INCLUDE; a foreign key's deferrability, INITIALLY
DEFERRED and MATCH; a column's collation, identity against serial, identity
ALWAYS against BY DEFAULT, a generated column's expression; a table's
comment):

- a mutation test: the live schema differs from the spec in that one
  respect, and verify fails (exit 6) with exactly one finding, whose expected
  and actual texts are asserted;
- a same-meaning test: a spec spelled differently from the catalog, but
  meaning the same, passes under --strict.

Then: inspect's output verifies (round trip) for a table using every feature,
the spec's new keys refuse bad values in one line, and plan closes what it
can (COMMENT ON TABLE, ALTER CONSTRAINT, SET GENERATED, MATCH by re-adding the
key, indexes with every part) and names a procedure for the rest.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import NamedTuple

import psycopg
import pytest

from astegni_db import api
from astegni_db.converging.report import PlanReport
from astegni_db.errors import ConfigError, ExitCode
from astegni_db.project.spec import load_spec, parse_spec
from astegni_db.verify.catalog import Catalog, LiveColumn, LiveForeignKey, LiveIndex, LiveTable
from astegni_db.verify.changes import describe_changes
from astegni_db.verify.report import VerifyReport

USERS = "CREATE TABLE users (id integer PRIMARY KEY, a integer, b integer, UNIQUE (a, b));"
SPEC_HEAD = """
format = 1

[tables.users]
partial = true
primary_key = ["id"]
"""
FK_TABLE = "CREATE TABLE t (id integer PRIMARY KEY, x integer, y integer{fk});"
FK_SPEC = """
[tables.t]
partial = true
foreign_keys = [
    {{ columns = ["x", "y"], references = "users", referenced_columns = ["a", "b"]{options} }},
]
"""
FK = "t(x, y) foreign key"
TO_USERS = "-> users(a, b) ON DELETE NO ACTION"


def run_sql(url: str, sql: str) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.encode())


def write_spec(tmp_path: Path, tables: str, name: str = "schema.toml") -> Path:
    path = tmp_path / name
    path.write_text(SPEC_HEAD + tables, encoding="utf-8")
    load_spec(path)  # a test's own spec must be valid
    return path


def verify(url: str, spec: Path, *, strict: bool = False) -> VerifyReport:
    return api.verify(url, spec, None, strict=strict)


def not_ok(report: VerifyReport) -> list[tuple[str, str, str, str, str]]:
    return [
        (f.status, f.kind, f.object, f.expected, f.actual)
        for f in report.findings
        if f.status != "ok"
    ]


class Case(NamedTuple):
    live: str  # the live schema (after USERS)
    spec: str  # the spec's tables (after SPEC_HEAD)
    findings: list[tuple[str, str, str, str, str]]  # every non-ok finding
    strict: bool = False  # warnings fail only under --strict


class Same(NamedTuple):
    live: str
    spec: str
    compared: list[tuple[str, str, str]]  # (kind, object, actual) of findings that pass


def missing_index(described: str) -> list[tuple[str, str, str, str, str]]:
    return [("error", "index", f"t index {described}", "present", "missing")]


# --- mutations: one property differs, one finding says so ---------------------------------

MUTATIONS: dict[str, Case] = {
    "index_opclass": Case(
        "CREATE TABLE t (id integer PRIMARY KEY, email varchar(50));"
        " CREATE INDEX t_email ON t (email);",
        '[tables.t]\npartial = true\nindexes = [{ columns = ["email varchar_pattern_ops"] }]\n',
        missing_index("btree (email varchar_pattern_ops)"),
    ),
    "index_collation": Case(
        "CREATE TABLE t (id integer PRIMARY KEY, name text); CREATE INDEX t_name ON t (name);",
        "[tables.t]\npartial = true\nindexes = [{ columns = ['name COLLATE \"C\"'] }]\n",
        missing_index('btree (name COLLATE "C")'),
    ),
    "index_nulls_not_distinct": Case(
        "CREATE TABLE t (id integer PRIMARY KEY, email text);"
        " CREATE UNIQUE INDEX t_email ON t (email);",
        "[tables.t]\npartial = true\n"
        'indexes = [{ columns = ["email"], unique = true, nulls_not_distinct = true }]\n',
        missing_index("unique btree (email) NULLS NOT DISTINCT"),
    ),
    "index_method": Case(
        "CREATE TABLE t (id integer PRIMARY KEY, x integer); CREATE INDEX t_x ON t USING hash (x);",
        '[tables.t]\npartial = true\nindexes = [{ columns = ["x"] }]\n',
        missing_index("btree (x)"),
    ),
    "index_predicate": Case(
        "CREATE TABLE t (id integer PRIMARY KEY, x integer);"
        " CREATE INDEX t_x ON t (x) WHERE x > 1;",
        '[tables.t]\npartial = true\nindexes = [{ columns = ["x"], where = "x > 0" }]\n',
        missing_index("btree (x) WHERE x > 0"),
    ),
    "index_include": Case(
        "CREATE TABLE t (id integer PRIMARY KEY, x integer, y integer); CREATE INDEX t_x ON t (x);",
        '[tables.t]\npartial = true\nindexes = [{ columns = ["x"], include = ["y"] }]\n',
        missing_index("btree (x) INCLUDE (y)"),
    ),
    "fk_deferrable": Case(
        FK_TABLE.format(fk=", FOREIGN KEY (x, y) REFERENCES users (a, b)"),
        FK_SPEC.format(options=", deferrable = true"),
        [("error", "foreign_key", FK, f"{TO_USERS} DEFERRABLE", TO_USERS)],
    ),
    "fk_initially_deferred": Case(
        FK_TABLE.format(fk=", FOREIGN KEY (x, y) REFERENCES users (a, b) DEFERRABLE"),
        FK_SPEC.format(options=", deferrable = true, initially_deferred = true"),
        [
            (
                "error",
                "foreign_key",
                FK,
                f"{TO_USERS} DEFERRABLE INITIALLY DEFERRED",
                f"{TO_USERS} DEFERRABLE",
            )
        ],
    ),
    "fk_match": Case(
        FK_TABLE.format(fk=", FOREIGN KEY (x, y) REFERENCES users (a, b)"),
        FK_SPEC.format(options=', match = "full"'),
        [("error", "foreign_key", FK, f"{TO_USERS} MATCH FULL", TO_USERS)],
    ),
    "column_collation": Case(
        "CREATE TABLE t (id integer PRIMARY KEY, name text);",
        "[tables.t]\npartial = true\n[tables.t.columns]\n"
        'name = { type = "text", nullable = true, collation = "C" }\n',
        [("error", "collation", "t.name", '"C"', "default")],
    ),
    "identity_instead_of_serial": Case(
        "CREATE TABLE t (id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY);",
        "[tables.t]\npartial = true\n[tables.t.columns]\n"
        'id = { type = "integer", nullable = false, serial = true }\n',
        [("error", "default", "t.id", "serial", "GENERATED ALWAYS AS IDENTITY")],
    ),
    "identity_by_default_instead_of_always": Case(
        "CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY);",
        "[tables.t]\npartial = true\n[tables.t.columns]\n"
        'id = { type = "integer", nullable = false, identity = "always" }\n',
        [
            (
                "error",
                "default",
                "t.id",
                "GENERATED ALWAYS AS IDENTITY",
                "GENERATED BY DEFAULT AS IDENTITY",
            )
        ],
    ),
    "generated_expression": Case(
        "CREATE TABLE t (id integer PRIMARY KEY, x integer,"
        " g integer GENERATED ALWAYS AS (x * 3) STORED);",
        "[tables.t]\npartial = true\n[tables.t.columns]\n"
        'g = { type = "integer", nullable = true, generated = "x * 2" }\n',
        [
            (
                "error",
                "default",
                "t.g",
                "GENERATED ALWAYS AS (x * 2) STORED",
                "GENERATED ALWAYS AS ((x * 3)) STORED",
            )
        ],
    ),
    "table_comment": Case(
        "CREATE TABLE t (id integer PRIMARY KEY); COMMENT ON TABLE t IS 'persons';",
        '[tables.t]\npartial = true\ncomment = "people"\n',
        [("warning", "comment", "t", "'people'", "'persons'")],
        strict=True,
    ),
}


@pytest.mark.parametrize("case", sorted(MUTATIONS))
def test_mutation_is_one_finding(case: str, empty_db_url: str, tmp_path: Path) -> None:
    given = MUTATIONS[case]
    run_sql(empty_db_url, USERS + given.live)
    report = verify(empty_db_url, write_spec(tmp_path, given.spec), strict=given.strict)
    assert not_ok(report) == given.findings
    assert report.exit_code == ExitCode.SCHEMA_MISMATCH


def test_table_comments_warn_note_and_fail_only_under_strict(
    empty_db_url: str, tmp_path: Path
) -> None:
    run_sql(
        empty_db_url,
        USERS + "CREATE TABLE t (id integer PRIMARY KEY); COMMENT ON TABLE t IS 'persons';"
        " COMMENT ON TABLE users IS 'ignored: users is partial and lists no comment';",
    )
    reworded = write_spec(tmp_path, '[tables.t]\npartial = true\ncomment = "people"\n')
    assert verify(empty_db_url, reworded).exit_code == ExitCode.OK  # a warning passes
    unexpected = write_spec(
        tmp_path,
        '[tables.t]\nprimary_key = ["id"]\n[tables.t.columns]\n'
        'id = { type = "integer", nullable = false }\n',
        "unexpected.toml",
    )
    report = verify(empty_db_url, unexpected)
    assert not_ok(report) == [("note", "comment", "t", "no comment", "'persons'")]
    assert report.exit_code == ExitCode.OK
    assert verify(empty_db_url, unexpected, strict=True).exit_code == ExitCode.SCHEMA_MISMATCH
    run_sql(empty_db_url, "COMMENT ON TABLE t IS NULL")
    report = verify(empty_db_url, reworded)
    assert not_ok(report) == [("warning", "comment", "t", "'people'", "no comment")]


# --- same meaning, other spelling: passes ----------------------------------------------------

SAME_MEANING: dict[str, Same] = {
    # The default operator class of the key's type, spelled out (int4_ops for
    # integer; text_ops for varchar, by binary coercion).
    "index_opclass": Same(
        "CREATE TABLE t (id integer PRIMARY KEY, x integer, email varchar(50));"
        " CREATE INDEX t_x ON t (x); CREATE INDEX t_email ON t (email);",
        "[tables.t]\npartial = true\n"
        'indexes = [{ columns = ["x int4_ops"] }, { columns = ["email text_ops"] }]\n',
        [
            ("index", "t index btree (x int4_ops)", "present"),
            ("index", "t index btree (email text_ops)", "present"),
        ],
    ),
    # The column's own collation, spelled out in the key.
    "index_collation": Same(
        'CREATE TABLE t (id integer PRIMARY KEY, name text COLLATE "C");'
        " CREATE INDEX t_name ON t (name);",
        "[tables.t]\npartial = true\nindexes = [{ columns = ['name COLLATE \"C\"'] }]\n",
        [("index", 't index btree (name COLLATE "C")', "present")],
    ),
    # A UNIQUE NULLS NOT DISTINCT constraint's index, its key's default order spelled out.
    "index_nulls_not_distinct": Same(
        "CREATE TABLE t (id integer PRIMARY KEY, email text, UNIQUE NULLS NOT DISTINCT (email));",
        "[tables.t]\npartial = true\n"
        'indexes = [{ columns = ["email ASC NULLS LAST"], unique = true,'
        " nulls_not_distinct = true }]\n",
        [("index", "t index unique btree (email ASC NULLS LAST) NULLS NOT DISTINCT", "present")],
    ),
    "index_method": Same(
        "CREATE TABLE t (id integer PRIMARY KEY, x integer); CREATE INDEX t_x ON t USING HASH (x);",
        '[tables.t]\npartial = true\nindexes = [{ columns = ["x"], method = "HASH" }]\n',
        [("index", "t index hash (x)", "present")],
    ),
    # The catalog prints x > 0 and status::text = ANY (ARRAY[...]::text[]).
    "index_predicate": Same(
        "CREATE TABLE t (id integer PRIMARY KEY, x integer, status varchar(10));"
        " CREATE INDEX t_x ON t (x) WHERE x > 0;"
        " CREATE INDEX t_open ON t (x) WHERE status IN ('open', 'held');",
        "[tables.t]\npartial = true\nindexes = [\n"
        '    { columns = ["x"], where = "0 < x" },\n'
        "    { columns = [\"x\"], where = \"status IN ('open', 'held')\" },\n]\n",
        [
            ("index", "t index btree (x) WHERE 0 < x", "present"),
            ("index", "t index btree (x) WHERE status IN ('open', 'held')", "present"),
        ],
    ),
    # Column names as SQL reads them: "y" and Y are y.
    "index_include": Same(
        "CREATE TABLE t (id integer PRIMARY KEY, x integer, y integer, z integer);"
        " CREATE INDEX t_x ON t (x) INCLUDE (y, z);",
        '[tables.t]\npartial = true\nindexes = [{ columns = ["x"], include = [\'"y"\', "Z"] }]\n',
        [("index", 't index btree (x) INCLUDE ("y", Z)', "present")],
    ),
    "fk_deferrable": Same(
        FK_TABLE.format(
            fk=", FOREIGN KEY (x, y) REFERENCES users (a, b) DEFERRABLE INITIALLY IMMEDIATE"
        ),
        FK_SPEC.format(options=", deferrable = true, initially_deferred = false"),
        [("foreign_key", FK, f"{TO_USERS} DEFERRABLE")],
    ),
    # INITIALLY DEFERRED alone makes the key DEFERRABLE too.
    "fk_initially_deferred": Same(
        FK_TABLE.format(fk=", FOREIGN KEY (x, y) REFERENCES users (a, b) INITIALLY DEFERRED"),
        FK_SPEC.format(options=", deferrable = true, initially_deferred = true"),
        [("foreign_key", FK, f"{TO_USERS} DEFERRABLE INITIALLY DEFERRED")],
    ),
    # MATCH FULL only differs from SIMPLE on a key NULL in some columns but not all:
    # on a one-column key they are the same. Keywords in any case.
    "fk_match": Same(
        "CREATE TABLE t (id integer PRIMARY KEY, x integer, y integer, owner integer,"
        " FOREIGN KEY (x, y) REFERENCES users (a, b) MATCH FULL,"
        " FOREIGN KEY (owner) REFERENCES users (id) MATCH FULL);",
        """
[tables.t]
partial = true
foreign_keys = [
    { columns = ["x", "y"], references = "users", referenced_columns = ["a", "b"], match = "FULL" },
    { columns = ["owner"], references = "users", referenced_columns = ["id"] },
]
""",
        [
            ("foreign_key", FK, f"{TO_USERS} MATCH FULL"),
            ("foreign_key", "t(owner) foreign key", "-> users(id) ON DELETE NO ACTION"),
        ],
    ),
    "column_collation": Same(
        'CREATE TABLE t (id integer PRIMARY KEY, name text COLLATE "C",'
        ' code varchar(5) COLLATE "POSIX");',
        "[tables.t]\npartial = true\n[tables.t.columns]\n"
        'name = { type = "text", nullable = true, collation = "\\"C\\"" }\n'
        'code = { type = "character varying(5)", nullable = true,'
        ' collation = "pg_catalog.\\"POSIX\\"" }\n',
        [("collation", "t.name", '"C"'), ("collation", "t.code", '"POSIX"')],
    ),
    # A sequence made by hand, owned by the column, is what serial makes.
    "identity_or_serial": Same(
        "CREATE TABLE t (id integer NOT NULL PRIMARY KEY);"
        " CREATE SEQUENCE ids OWNED BY t.id;"
        " ALTER TABLE t ALTER COLUMN id SET DEFAULT nextval('ids');",
        "[tables.t]\npartial = true\n[tables.t.columns]\n"
        'id = { type = "integer", nullable = false, serial = true }\n',
        [("default", "t.id", "serial")],
    ),
    # Keyword case, and the spelling specs used before identity had its own key.
    "identity_kind": Same(
        "CREATE TABLE t (id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,"
        " n bigint GENERATED ALWAYS AS IDENTITY);",
        "[tables.t]\npartial = true\n[tables.t.columns]\n"
        'id = { type = "integer", nullable = false, identity = "BY DEFAULT" }\n'
        'n = { type = "bigint", nullable = false, default = "GENERATED ALWAYS AS IDENTITY" }\n',
        [
            ("default", "t.id", "GENERATED BY DEFAULT AS IDENTITY"),
            ("default", "t.n", "GENERATED ALWAYS AS IDENTITY"),
        ],
    ),
    # pg_get_expr prints (x * 2); plain defaults go through the same comparison.
    "generated_expression": Same(
        "CREATE TABLE t (id integer PRIMARY KEY, x integer,"
        " g integer GENERATED ALWAYS AS (x * 2) STORED,"
        " status varchar(20) DEFAULT 'active');",
        "[tables.t]\npartial = true\n[tables.t.columns]\n"
        'g = { type = "integer", nullable = true, generated = "x * 2" }\n'
        'status = { type = "character varying(20)", nullable = true, default = "\'active\'" }\n',
        [
            ("default", "t.g", "GENERATED ALWAYS AS ((x * 2)) STORED"),
            ("default", "t.status", "'active'::character varying"),
        ],
    ),
    # The spec holds the comment's text; SQL doubles the quote.
    "table_comment": Same(
        "CREATE TABLE t (id integer PRIMARY KEY); COMMENT ON TABLE t IS 'Tutor''s sessions';",
        '[tables.t]\npartial = true\ncomment = "Tutor\'s sessions"\n',
        [("comment", "t", '"Tutor\'s sessions"')],
    ),
}


@pytest.mark.parametrize("case", sorted(SAME_MEANING))
def test_same_meaning_passes(case: str, empty_db_url: str, tmp_path: Path) -> None:
    given = SAME_MEANING[case]
    run_sql(empty_db_url, USERS + given.live)
    report = verify(empty_db_url, write_spec(tmp_path, given.spec), strict=True)
    assert not_ok(report) == []
    assert report.exit_code == ExitCode.OK
    # Compared, not skipped: each finding is there, and passes.
    passing = {(f.kind, f.object, f.actual) for f in report.findings if f.status == "ok"}
    assert set(given.compared) <= passing, sorted(passing)


def test_a_default_collation_of_another_name_is_a_difference(
    empty_db_url: str, tmp_path: Path
) -> None:
    """COLLATE "default" on a key over a "C" column is another collation, printed."""
    run_sql(
        empty_db_url,
        USERS + 'CREATE TABLE t (id integer PRIMARY KEY, name text COLLATE "C");'
        ' CREATE INDEX t_name ON t (name COLLATE "default");',
    )
    spec = write_spec(tmp_path, '[tables.t]\npartial = true\nindexes = [{ columns = ["name"] }]\n')
    assert not_ok(verify(empty_db_url, spec)) == missing_index("btree (name)")
    spec = write_spec(
        tmp_path,
        "[tables.t]\npartial = true\nindexes = [{ columns = ['name COLLATE \"default\"'] }]\n",
    )
    assert not_ok(verify(empty_db_url, spec)) == []


# --- inspect, then verify: every new key round-trips ------------------------------------------

EVERY_FEATURE = (
    USERS
    + """
CREATE TABLE t (
    id integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    n bigint GENERATED BY DEFAULT AS IDENTITY,
    s serial,
    name text COLLATE "C",
    email varchar(50),
    x integer,
    y integer,
    owner integer,
    g integer GENERATED ALWAYS AS (x * 2) STORED,
    data jsonb,
    FOREIGN KEY (x, y) REFERENCES users (a, b) MATCH FULL DEFERRABLE INITIALLY DEFERRED,
    FOREIGN KEY (owner) REFERENCES users (id) ON DELETE CASCADE DEFERRABLE
);
COMMENT ON TABLE t IS 'every feature';
CREATE UNIQUE INDEX t_email ON t (email varchar_pattern_ops) INCLUDE (x)
    NULLS NOT DISTINCT WHERE x > 0;
CREATE INDEX t_data ON t USING gin (data jsonb_path_ops);
CREATE INDEX t_lower ON t (lower(email) COLLATE "C" DESC);
CREATE INDEX t_name ON t (name COLLATE "default", email text_ops NULLS FIRST);
"""
)

EVERY_FEATURE_SPEC = """
[tables.t]
comment = "every feature"
primary_key = ["id"]

[[tables.t.foreign_keys]]
columns = ["owner"]
references = "users"
referenced_columns = ["id"]
on_delete = "cascade"
deferrable = true

[[tables.t.foreign_keys]]
columns = ["x", "y"]
references = "users"
referenced_columns = ["a", "b"]
match = "full"
deferrable = true
initially_deferred = true

[[tables.t.indexes]]
columns = ["email varchar_pattern_ops"]
unique = true
include = ["x"]
nulls_not_distinct = true
where = "x > 0"

[[tables.t.indexes]]
columns = ["data jsonb_path_ops"]
method = "gin"

[[tables.t.indexes]]
columns = ['lower(email::text) COLLATE "C" DESC']

[[tables.t.indexes]]
columns = ['name COLLATE "default"', "email NULLS FIRST"]

[tables.t.columns]
id = { type = "integer", nullable = false, identity = "always" }
n = { type = "bigint", nullable = false, identity = "by default" }
s = { type = "integer", nullable = false, serial = true }
name = { type = "text", nullable = true, collation = "C" }
email = { type = "character varying(50)", nullable = true }
x = { type = "integer", nullable = true }
y = { type = "integer", nullable = true }
owner = { type = "integer", nullable = true }
g = { type = "integer", nullable = true, generated = "(x * 2)" }
data = { type = "jsonb", nullable = true }
"""


def test_inspect_then_verify_round_trips_every_feature(empty_db_url: str, tmp_path: Path) -> None:
    run_sql(empty_db_url, EVERY_FEATURE)
    expected = write_spec(tmp_path, EVERY_FEATURE_SPEC)
    inspected = api.inspect(empty_db_url, expected).toml
    assert parse_spec(tomllib.loads(inspected), source="inspect") == load_spec(expected)
    assert 'collation = "C"' in inspected  # the name as written, not "\"C\""
    round_trip = tmp_path / "inspected.toml"
    round_trip.write_text(inspected, encoding="utf-8")
    report = verify(empty_db_url, round_trip, strict=True)
    assert not_ok(report) == []
    assert {"collation", "comment", "default", "foreign_key", "index"} <= {
        f.kind for f in report.findings if f.table == "t"
    }


# --- the spec's new keys refuse bad values in one line --------------------------------------


@pytest.mark.parametrize(
    ("column", "message"),
    [
        (
            '{ type = "integer", nullable = false, identity = "always", serial = true }',
            "tables.t.columns.c.identity: an identity column has no serial",
        ),
        (
            '{ type = "integer", nullable = false, identity = "always", default = "1" }',
            "tables.t.columns.c.identity: an identity column has no default",
        ),
        (
            '{ type = "integer", nullable = false, identity = "sometimes" }',
            "tables.t.columns.c.identity: expected one of always, by default; found 'sometimes'",
        ),
        (
            '{ type = "integer", nullable = true, generated = "1", default = "2" }',
            "tables.t.columns.c.generated: a generated column has no default",
        ),
        (
            '{ type = "integer", nullable = true, generated = "x", identity = "always" }',
            "tables.t.columns.c.generated: a generated column has no identity",
        ),
        (
            '{ type = "text", nullable = true, collation = "\\"C" }',
            "tables.t.columns.c.collation: expected a collation name like C or en_US, found '\"C'",
        ),
    ],
    ids=[
        "identity_and_serial",
        "identity_and_default",
        "identity_kind",
        "generated_and_default",
        "generated_and_identity",
        "collation",
    ],
)
def test_bad_column_keys_are_one_line_errors(column: str, message: str, tmp_path: Path) -> None:
    assert spec_error(tmp_path, f"[tables.t]\npartial = true\ncolumns = {{ c = {column} }}\n") == (
        f"{tmp_path / 'schema.toml'}: {message}"
    )


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            ", initially_deferred = true",
            "tables.t.foreign_keys[0].initially_deferred: requires deferrable = true",
        ),
        (
            ', match = "partial"',
            "tables.t.foreign_keys[0].match: expected one of simple, full; found 'partial'",
        ),
        (
            ', deferrable = "yes"',
            "tables.t.foreign_keys[0].deferrable: expected true or false, found a string",
        ),
    ],
    ids=["initially_deferred_alone", "match_partial", "deferrable_not_bool"],
)
def test_bad_foreign_key_keys_are_one_line_errors(
    options: str, message: str, tmp_path: Path
) -> None:
    assert spec_error(tmp_path, FK_SPEC.format(options=options)) == (
        f"{tmp_path / 'schema.toml'}: {message}"
    )


def spec_error(tmp_path: Path, tables: str) -> str:
    path = tmp_path / "schema.toml"
    path.write_text(SPEC_HEAD + tables, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_spec(path)
    assert "\n" not in raised.value.message
    return raised.value.message


# --- plan: what closes each new difference ------------------------------------------------


def plan(url: str, spec: Path, migrations: Path) -> PlanReport:
    return api.plan(url, spec, migrations, queries_dir=None)


DRIFTED = (
    USERS
    + """
INSERT INTO users VALUES (1, 1, 1), (2, 2, 2);
CREATE TABLE t (
    id integer GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    email varchar(50),
    name text COLLATE "C",
    x integer,
    y integer,
    owner integer,
    FOREIGN KEY (x, y) REFERENCES users (a, b),
    FOREIGN KEY (owner) REFERENCES users (id)
);
COMMENT ON TABLE t IS 'old words';
INSERT INTO t (email, name, x, y, owner)
VALUES ('a@example.org', 'a', 1, 1, 1), (NULL, 'b', NULL, NULL, 2);
"""
)

CONVERGED_SPEC = """
[tables.t]
comment = "new words"
primary_key = ["id"]

[[tables.t.foreign_keys]]
columns = ["owner"]
references = "users"
referenced_columns = ["id"]
deferrable = true
initially_deferred = true

[[tables.t.foreign_keys]]
columns = ["x", "y"]
references = "users"
referenced_columns = ["a", "b"]
match = "full"

[[tables.t.indexes]]
columns = ["email varchar_pattern_ops"]
unique = true
include = ["x"]
nulls_not_distinct = true
where = "x > 0"

[[tables.t.indexes]]
columns = ['name COLLATE "default" DESC']

[tables.t.columns]
id = { type = "integer", nullable = false, identity = "always" }
email = { type = "character varying(50)", nullable = true }
name = { type = "text", nullable = true, collation = "C" }
x = { type = "integer", nullable = true }
y = { type = "integer", nullable = true }
owner = { type = "integer", nullable = true }
"""


def test_plan_closes_the_catalog_only_differences(empty_db_url: str, tmp_path: Path) -> None:
    run_sql(empty_db_url, DRIFTED)
    spec = write_spec(tmp_path, CONVERGED_SPEC)
    drifted = not_ok(verify(empty_db_url, spec, strict=True))
    assert {(kind, obj) for _, kind, obj, _, _ in drifted} == {
        ("comment", "t"),
        ("default", "t.id"),
        ("foreign_key", "t(owner) foreign key"),
        ("foreign_key", "t(x, y) foreign key"),
        ("index", 't index btree (name COLLATE "default" DESC)'),
        (
            "index",
            "t index unique btree (email varchar_pattern_ops) INCLUDE (x) "
            "NULLS NOT DISTINCT WHERE x > 0",
        ),
    }
    migrations = tmp_path / "migrations"
    report = plan(empty_db_url, spec, migrations)
    assert (report.exit_code, report.manual) == (ExitCode.OK, []), report.plan_text()
    actions = [step.action.split(":")[0] + ": " + step.object for step in report.steps]
    assert sorted(actions) == sorted(
        [
            "table: t",  # COMMENT ON TABLE
            "column: t.id",  # SET GENERATED ALWAYS
            "constraint: t(owner) foreign key",  # ALTER CONSTRAINT
            "drop constraint: t(x, y) foreign key",  # MATCH: re-added NOT VALID,
            "add constraint: t(x, y) foreign key",
            "validate constraint: t(x, y) foreign key",  # then validated
            'create index: t index btree (name COLLATE "default" DESC)',
            "create index: t index unique btree (email varchar_pattern_ops) INCLUDE (x) "
            "NULLS NOT DISTINCT WHERE x > 0",
        ]
    )
    sql = "\n".join(statement for step in report.steps for statement in step.forward)
    for expected in (
        "COMMENT ON TABLE t IS 'new words';",
        "ALTER TABLE t ALTER COLUMN id SET GENERATED ALWAYS;",
        "ALTER TABLE t ALTER CONSTRAINT t_owner_fkey DEFERRABLE INITIALLY DEFERRED;",
        "REFERENCES users (a, b) MATCH FULL NOT VALID;",
        "ON t (email varchar_pattern_ops) INCLUDE (x) NULLS NOT DISTINCT WHERE x > 0;",
        'ON t (name COLLATE "default" DESC);',
    ):
        assert expected in sql, sql
    api.write_plan(report)
    api.migrate(empty_db_url, migrations)
    assert not_ok(verify(empty_db_url, spec, strict=True)) == []

    steps = len(report.migrations)
    api.rollback(empty_db_url, migrations, api.RollbackSelection(steps=steps))
    assert sorted(not_ok(verify(empty_db_url, spec, strict=True))) == sorted(drifted)


def test_match_full_over_rows_null_in_part_of_the_key_needs_a_person(
    empty_db_url: str, tmp_path: Path
) -> None:
    run_sql(
        empty_db_url,
        DRIFTED + "INSERT INTO t (x, y, owner) VALUES (1, NULL, 1);"
        " ALTER TABLE t ALTER COLUMN id SET GENERATED ALWAYS;"
        " ALTER TABLE t ALTER CONSTRAINT t_owner_fkey DEFERRABLE INITIALLY DEFERRED;"
        " COMMENT ON TABLE t IS 'new words';"
        " CREATE UNIQUE INDEX e ON t (email varchar_pattern_ops) INCLUDE (x)"
        " NULLS NOT DISTINCT WHERE x > 0;"
        ' CREATE INDEX n ON t (name COLLATE "default" DESC);',
    )
    spec = write_spec(tmp_path, CONVERGED_SPEC)
    report = plan(empty_db_url, spec, tmp_path / "migrations")
    assert report.exit_code == ExitCode.SCHEMA_MISMATCH
    [manual] = report.manual
    assert (manual.object, manual.procedure) == (
        "t(x, y) foreign key",
        "clean the rows, then validate",
    )
    assert "NULL in some of them but not all (MATCH FULL)" in manual.why
    # The key is still re-added NOT VALID: new rows are held to MATCH FULL from now on.
    assert [step.action.split(":")[0] for step in report.steps] == [
        "drop constraint",
        "add constraint",
    ]


@pytest.mark.parametrize(
    ("live", "column", "procedure"),
    [
        (
            "name text",
            'name = { type = "text", nullable = true, collation = "C" }',
            "change the collation by hand",
        ),
        (
            "id integer GENERATED ALWAYS AS IDENTITY",
            'id = { type = "integer", nullable = false, serial = true }',
            "convert the identity column by hand",
        ),
        (
            "id serial",
            'id = { type = "integer", nullable = false, identity = "always" }',
            "convert the identity column by hand",
        ),
        (
            "id integer NOT NULL",
            'id = { type = "integer", nullable = false, identity = "by default" }',
            "convert the identity column by hand",
        ),
        (
            "x integer, g integer GENERATED ALWAYS AS (x * 3) STORED",
            'g = { type = "integer", nullable = true, generated = "x * 2" }',
            "replace the generated column by hand",
        ),
        (
            "g integer GENERATED ALWAYS AS (1) STORED",
            'g = { type = "integer", nullable = true, default = "1" }',
            "replace the generated column by hand",
        ),
        (
            "x integer",
            'n = { type = "bigint", nullable = false, identity = "always" }',
            "add the identity column by hand",
        ),
        (
            "x integer",
            'g = { type = "integer", nullable = true, generated = "x * 2" }',
            "add the generated column by hand",
        ),
    ],
    ids=[
        "collation",
        "identity_to_serial",
        "serial_to_identity",
        "plain_to_identity",
        "generated_expression",
        "generated_to_default",
        "missing_identity_column",
        "missing_generated_column",
    ],
)
def test_differences_plan_leaves_to_a_person(
    live: str, column: str, procedure: str, empty_db_url: str, tmp_path: Path
) -> None:
    run_sql(empty_db_url, USERS + f"CREATE TABLE t ({live});")
    spec = write_spec(tmp_path, f"[tables.t]\npartial = true\n[tables.t.columns]\n{column}\n")
    report = plan(empty_db_url, spec, tmp_path / "migrations")
    assert [m.procedure for m in report.manual] == [procedure], report.plan_text()
    assert (report.exit_code, report.migrations) == (ExitCode.SCHEMA_MISMATCH, [])
    assert "NEEDS A PERSON" in report.plan_text()


def test_plan_creates_a_missing_table_with_every_feature(empty_db_url: str, tmp_path: Path) -> None:
    run_sql(empty_db_url, USERS)
    spec = write_spec(tmp_path, EVERY_FEATURE_SPEC)
    migrations = tmp_path / "migrations"
    report = plan(empty_db_url, spec, migrations)
    assert (report.exit_code, report.manual) == (ExitCode.OK, []), report.plan_text()
    [create] = report.steps
    table = create.forward[0]
    for expected in (
        "id integer NOT NULL GENERATED ALWAYS AS IDENTITY",
        "n bigint NOT NULL GENERATED BY DEFAULT AS IDENTITY",
        "s serial NOT NULL",
        'name text COLLATE "C"',
        "g integer GENERATED ALWAYS AS ((x * 2)) STORED",
        "MATCH FULL DEFERRABLE INITIALLY DEFERRED",
        "ON DELETE CASCADE DEFERRABLE",
    ):
        assert expected in table, table
    assert "COMMENT ON TABLE t IS 'every feature';" in create.forward
    api.write_plan(report)
    api.migrate(empty_db_url, migrations)
    assert not_ok(verify(empty_db_url, spec, strict=True)) == []


# --- migrate's behaviour changes name the new properties ---------------------------------


def test_behaviour_changes_name_collation_deferrability_match_and_nulls_not_distinct() -> None:
    def table(
        collation: str | None, deferrable: bool, match: str, nulls_not_distinct: bool
    ) -> LiveTable:
        live = LiveTable(name="t", oid=1, kind="r")
        live.columns["name"] = LiveColumn("name", "text", True, None, "", "", None, None, collation)
        live.foreign_keys.append(
            LiveForeignKey(
                "t_fk",
                ("x", "y"),
                "users",
                ("a", "b"),
                "no action",
                "no action",
                True,
                deferrable=deferrable,
                initially_deferred=deferrable,
                match=match,
            )
        )
        live.indexes.append(
            LiveIndex("t_e", "btree", ("e",), (), None, True, True, nulls_not_distinct)
        )
        return live

    before = Catalog(relations={"t": table(None, False, "simple", False)})
    after = Catalog(relations={"t": table('"C"', True, "simple", True)})
    assert [(c.change, c.consequence) for c in describe_changes(before, after)] == [
        (
            'collation changed to "C" (was default)',
            "comparisons, ORDER BY and its indexes now follow the new collation",
        ),
        (
            "foreign key t_fk changed to (x, y) -> users(a, b) ON DELETE no action"
            " ON UPDATE no action DEFERRABLE INITIALLY DEFERRED"
            " (was (x, y) -> users(a, b) ON DELETE no action ON UPDATE no action)",
            "writes are now checked at commit, not at each statement",
        ),
        (
            "index t_e changed to UNIQUE btree (e) NULLS NOT DISTINCT (was UNIQUE btree (e))",
            "duplicate values of (e) now fail",
        ),
    ]
    full = Catalog(relations={"t": table(None, False, "full", False)})
    [match] = describe_changes(before, full)
    assert (
        match.consequence == "a (x, y) NULL in some columns but not all is now refused (MATCH FULL)"
    )


def test_specs_written_before_the_new_keys_read_as_them(tmp_path: Path) -> None:
    """verify used to print identity and generated columns as their default: a spec that
    copied those words means the new keys (and plan must never SET DEFAULT to them)."""
    legacy = write_spec(
        tmp_path,
        "[tables.t]\npartial = true\n[tables.t.columns]\n"
        'id = { type = "integer", nullable = false,'
        ' default = "GENERATED  by default AS IDENTITY" }\n'
        'g = { type = "integer", nullable = true,'
        ' default = "GENERATED ALWAYS AS ((x * 2)) STORED" }\n'
        'd = { type = "text", nullable = true,'
        " default = \"'GENERATED ALWAYS AS IDENTITY'::text\" }\n",
        "legacy.toml",
    )
    columns = load_spec(legacy).tables["t"].columns
    assert (columns["id"].identity, columns["id"].default) == ("by default", None)
    assert (columns["g"].generated, columns["g"].default) == ("(x * 2)", None)
    assert (columns["d"].identity, columns["d"].default) == (
        None,
        "'GENERATED ALWAYS AS IDENTITY'::text",
    )
