"""verify compares CHECK expressions by meaning, on a real server.

Each case writes a CHECK on PostgreSQL 15 one way and states it in the spec
another way. An *equivalence* is a rewrite that provably computes the same
(the reductions in astegni_db/verify/meaning.py); verify must pass it. A
*mutation* changes what the CHECK accepts, often by a hair (a string literal,
a truncating cast, a bound); verify must report the spec's CHECK missing.
PostgreSQL prints the written form back its own way, so every case also
tests reading the catalog's spelling, not just our parser.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import psycopg
import pytest

from astegni_db import api
from astegni_db.project.spec import parse_spec
from astegni_db.verify.meaning import same_expression, same_index_key
from tests.helpers import QUERIES

COLUMNS = (
    "id integer, status varchar(20), code varchar(5), name text, x integer, y integer, "
    "price numeric(10,2), flag char(3), a boolean, b boolean, c boolean, d date"
)

# (written on the server, stated in the spec): must match.
EQUIVALENT = [
    ("status IN ('active', 'draft')", "status::text = ANY (ARRAY['draft'::text, 'active'::text])"),
    ("status IN ('active', 'draft')", "status = 'active' OR status = 'draft'"),
    ("status = 'active' OR status = 'draft'", "status IN ('draft', 'active')"),
    (
        "status::text = ANY (ARRAY['active'::varchar, 'draft'::varchar]::text[])",
        "(status)::text = ANY (ARRAY[('active'::character varying)::text, "
        "('draft'::character varying)::text])",
    ),
    ("0 < x", "x > 0"),
    ("x >= y", "y <= x"),
    ("x <> 3", "3 != x"),
    ("x BETWEEN 1 AND 10", "x >= 1 AND x <= 10"),
    ("x > 0 AND y > 0", "y > 0 AND x > 0"),
    ("a OR b OR c", "c OR (b OR a)"),
    ("x NOT IN (1, 2)", "x <> ALL (ARRAY[2, 1])"),
    ("x IN (1)", "x = 1"),
    ("name LIKE 'A%'", "name ~~ 'A%'::text"),
    ("price > 0", "price > 0::numeric"),
    ("price >= 0 AND price <= 1000", "price BETWEEN 0 AND 1000"),
    ("length(name) > 2", "length(name::text) > 2"),
    ("(status)::text <> ''::text", "status <> ''"),
    # PostgreSQL prints the cast it adds to the literal: the spec copies inspect's spelling.
    ("d > '2020-01-01'", "d > '2020-01-01'::date"),
]
# Cases whose sameness needs the column's type, which only the server applies.
NEEDS_TYPES = {("d > '2020-01-01'", "d > '2020-01-01'::date")}

# (written on the server, stated in the spec): must NOT match.
MUTATIONS = [
    ("status IN ('active', 'draft')", "status IN ('active', 'drafts')"),
    ("status IN ('active', 'draft')", "status IN ('active')"),
    ("x > 0", "x >= 0"),
    ("x > 0", "x < 0"),
    ("code::varchar(2)::text = 'ab'", "code::text = 'ab'"),
    ("status = 'a, b'", "status = 'a,b'"),
    ("(a AND b) OR c", "a AND (b OR c)"),
    ("x NOT IN (1, 2)", "x IN (1, 2)"),
    ("price > 0.5", "price > 0"),
    ("price > 0", "price::numeric(3,0) > 0"),
    ("flag = 'ab'", "flag::text = 'ab'"),
    ("name LIKE 'A%'", "name ILIKE 'A%'"),
    ("x BETWEEN 1 AND 10", "x >= 1 AND x < 10"),
    ("status = 'active' OR x > 0", "status = 'active' AND x > 0"),
    ("length(name) > 2", "length(name) > 3"),
    # A cast that drives arithmetic is kept: numeric division is not integer division.
    ("1::numeric / 3 < x", "1 / 3 < x"),
    # Two draws are not one: OR-of-equalities becomes IN only on a column.
    ("random() = 1 OR random() = 2", "random() IN (1, 2)"),
]


def _verify_cases(url: str, cases: list[tuple[str, str]], tmp_path: str) -> dict[int, str]:
    """Each case on its own table; returns case index -> status of the spec's CHECK."""
    tables = {}
    with psycopg.connect(url, autocommit=True) as conn:
        for i, (written, stated) in enumerate(cases):
            conn.execute(f"CREATE TABLE probe_{i} ({COLUMNS}, CHECK ({written}))")  # type: ignore[arg-type]
            tables[f"probe_{i}"] = {"partial": True, "checks": [stated]}
    spec_text = {"format": 1, "tables": tables}
    spec_path = Path(tmp_path) / "schema.toml"
    spec_path.write_text(_toml(spec_text))
    parse_spec(tomllib.loads(spec_path.read_text()), source=str(spec_path))
    report = api.verify(url, spec_path, QUERIES)
    statuses = {}
    for i in range(len(cases)):
        found = [f for f in report.findings if f.table == f"probe_{i}" and f.kind == "check"]
        assert len(found) == 1, found
        statuses[i] = found[0].status if found[0].actual == "present" else "missing"
    return statuses


def _toml(spec: dict[str, object]) -> str:
    lines = ["format = 1", ""]
    tables = spec["tables"]
    assert isinstance(tables, dict)
    for name, body in tables.items():
        checks = ", ".join(_quote(c) for c in body["checks"])
        lines += [f"[tables.{name}]", "partial = true", f"checks = [{checks}]", ""]
    return "\n".join(lines)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def test_same_meaning_rewrites_pass_on_a_real_server(empty_db_url: str, tmp_path: str) -> None:
    statuses = _verify_cases(empty_db_url, EQUIVALENT, str(tmp_path))
    failed = [EQUIVALENT[i] for i, status in statuses.items() if status != "ok"]
    assert failed == []


def test_mutations_fail_on_a_real_server(empty_db_url: str, tmp_path: str) -> None:
    statuses = _verify_cases(empty_db_url, MUTATIONS, str(tmp_path))
    passed = [MUTATIONS[i] for i, status in statuses.items() if status != "missing"]
    assert passed == []


@pytest.mark.parametrize(("written", "stated"), [c for c in EQUIVALENT if c not in NEEDS_TYPES])
def test_equivalence_holds_on_the_texts_alone(written: str, stated: str) -> None:
    columns = {"status", "code", "name"}
    assert same_expression(stated, written, text_columns=columns)


@pytest.mark.parametrize(("written", "stated"), MUTATIONS)
def test_mutation_differs_on_the_texts_alone(written: str, stated: str) -> None:
    assert not same_expression(stated, written, text_columns={"status", "code", "name"})


def test_a_cast_is_dropped_only_on_a_string_column() -> None:
    # flag is char(3): casting it to text strips trailing blanks, a real change.
    assert same_expression("status::text = 'x'", "status = 'x'", text_columns={"status"})
    assert not same_expression("flag::text = 'x'", "flag = 'x'", text_columns={"status"})


def test_unparseable_text_matches_only_itself() -> None:
    assert same_expression("x >>>= (", "x >>>= (")
    assert not same_expression("x >>>= (", "x >>>=  ((")


INDEX_KEYS_SAME = [
    ("name", "name ASC"),
    ("name DESC", "name DESC NULLS FIRST"),
    ("name NULLS LAST", "name"),
    ('name COLLATE "C"', 'name COLLATE "C" ASC NULLS LAST'),
    ("name text_pattern_ops", "name pg_catalog.text_pattern_ops"),
    ("lower((name)::text)", "lower(name::text)"),
]
INDEX_KEYS_DIFFERENT = [
    ("name", "name DESC"),
    ("name DESC", "name DESC NULLS LAST"),
    ('name COLLATE "C"', "name"),
    ("name text_pattern_ops", "name"),
    ("name text_pattern_ops", "name varchar_pattern_ops"),
    ("lower(name)", "upper(name)"),
]


@pytest.mark.parametrize(("first", "second"), INDEX_KEYS_SAME)
def test_index_keys_that_are_the_same_key(first: str, second: str) -> None:
    assert same_index_key(first, second)


@pytest.mark.parametrize(("first", "second"), INDEX_KEYS_DIFFERENT)
def test_index_keys_that_differ(first: str, second: str) -> None:
    assert not same_index_key(first, second)
