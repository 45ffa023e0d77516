"""Legacy copies: tables outside the spec that have a spec table's columns and hold rows.

A legacy "cleanup" script renames tutoring_sessions to tutor_sessions (the
rows move with it); a later migrate recreates an empty tutoring_sessions and
verify is clean, while 300 real sessions sit in a table nothing points at.
Such a table is reported as a note: verify cannot know whether it is a copy,
only that it looks like one and holds rows someone may be looking for.

A candidate is an ordinary or partitioned table on the search_path that the
spec does not name and that has at least COLUMN_SHARE of a full spec table's
column names (all of its primary key among them); spec tables with fewer than
MIN_SPEC_COLUMNS columns are too generic to match on. Rows are counted up to
ROW_COUNT_CAP + 1, so a huge table costs no more than a small one.
"""

from __future__ import annotations

import math
from typing import Any, NamedTuple

import psycopg
from psycopg import sql

from astegni_db import sqlfiles
from astegni_db.db import describe_db_error, lock_wait_error
from astegni_db.project.spec import Spec, TableSpec
from astegni_db.verify.catalog import Catalog
from astegni_db.verify.findings import Finding

ROW_COUNT_CAP = 100_000
COLUMN_SHARE = 0.75
MIN_SPEC_COLUMNS = 4


class LegacyCopy(NamedTuple):
    table: str  # the copy, e.g. "tutor_sessions" (as regclass prints it)
    copy_of: str  # the spec table, e.g. "tutoring_sessions"
    shared_columns: int  # spec columns it has
    spec_columns: int  # columns the spec table has
    missing_columns: tuple[str, ...]  # spec columns it lacks
    rows: int  # rows counted (capped at ROW_COUNT_CAP + 1)
    spec_rows: int | None  # rows in the spec table; None when that table is missing


class _Unreadable(NamedTuple):
    """A candidate whose rows (or its spec table's) this role may not read."""

    table: str
    copy_of: str
    shared_columns: int
    spec_columns: int
    reason: str


def find_legacy_copies(
    conn: psycopg.Connection[Any], spec: Spec, catalog: Catalog
) -> list[LegacyCopy]:
    """The possible legacy copies of ``spec``'s full tables that hold rows, by name.

    A table whose rows the role may not read is left out (legacy_copy_findings
    reports it); a table locked past the session's lock_timeout ends the run
    in LockWaitTimedOut naming who holds it, as every other read of verify does.
    """
    return _scan(conn, spec, catalog)[0]


def legacy_copy_findings(
    conn: psycopg.Connection[Any], spec: Spec, catalog: Catalog
) -> list[Finding]:
    """A note per possible legacy copy holding rows; a warning per one not counted."""
    copies, unreadable = _scan(conn, spec, catalog)
    findings = [_note(copy, catalog) for copy in copies]
    # Not counted is not "empty": said, like the data check's unreadable rows,
    # as a warning about values (never failing, even under --strict).
    findings += [
        Finding(
            item.copy_of,
            item.table,
            "data",
            "rows readable",
            "permission denied",
            "warning",
            f"{item.table}: possible legacy copy of {item.copy_of} (has {item.shared_columns}"
            f" of its {item.spec_columns} columns); rows not counted: {item.reason}",
        )
        for item in unreadable
    ]
    return findings


def describe_rows(rows: int) -> str:
    return f"more than {ROW_COUNT_CAP}" if rows > ROW_COUNT_CAP else str(rows)


def _note(copy: LegacyCopy, catalog: Catalog) -> Finding:
    live = catalog.relations.get(copy.copy_of)
    if copy.spec_rows is not None:
        spec_side = f"{copy.copy_of} holds {describe_rows(copy.spec_rows)}"
    else:
        spec_side = f"{copy.copy_of} is {'missing' if live is None else 'a ' + live.kind_name}"
    actual = f"{describe_rows(copy.rows)} rows"
    if copy.missing_columns:
        actual += f"; lacks {', '.join(copy.missing_columns)}"
    return Finding(
        copy.copy_of,
        copy.table,
        "legacy_copy",
        "absent or empty",
        actual,
        "note",
        f"{copy.table}: possible legacy copy of {copy.copy_of} (has {copy.shared_columns}"
        f" of its {copy.spec_columns} columns; holds {describe_rows(copy.rows)} rows"
        f" while {spec_side})",
    )


def _required(table: TableSpec) -> int:
    return math.ceil(COLUMN_SHARE * len(table.columns))


def _scan(
    conn: psycopg.Connection[Any], spec: Spec, catalog: Catalog
) -> tuple[list[LegacyCopy], list[_Unreadable]]:
    # Partial tables list only what the toolkit reads; matching on them would
    # call any table with an id and a name a copy of users.
    targets = [
        table
        for table in spec.tables.values()
        if not table.partial and len(table.columns) >= MIN_SPEC_COLUMNS
    ]
    if not targets:
        return [], []
    exclude = [live.oid for live in catalog.relations.values() if live is not None]
    params = {
        "exclude": exclude,
        "columns": sorted({name for table in targets for name in table.columns}),
        "min_columns": min(_required(table) for table in targets),
    }
    with conn.cursor() as cur:
        cur.execute(sqlfiles.load("legacy_copies"), params)
        candidates = cur.fetchall()
    copies: list[LegacyCopy] = []
    unreadable: list[_Unreadable] = []
    spec_rows: dict[str, int | None] = {}
    for _, name, schema_name, table_name, columns in candidates:
        target = _best_match(targets, set(columns))
        if target is None:
            continue
        shared = sum(1 for column in target.columns if column in columns)
        missing = tuple(column for column in target.columns if column not in columns)
        try:
            rows = _count(conn, name, sql.Identifier(schema_name, table_name), table_name)
            if rows == 0:
                continue
            if target.name not in spec_rows:
                spec_rows[target.name] = _spec_rows(conn, target.name, catalog)
        except psycopg.errors.InsufficientPrivilege as exc:
            unreadable.append(
                _Unreadable(name, target.name, shared, len(target.columns), describe_db_error(exc))
            )
            continue
        copies.append(
            LegacyCopy(
                table=name,
                copy_of=target.name,
                shared_columns=shared,
                spec_columns=len(target.columns),
                missing_columns=missing,
                rows=rows,
                spec_rows=spec_rows[target.name],
            )
        )
    return copies, unreadable


def _best_match(targets: list[TableSpec], columns: set[str]) -> TableSpec | None:
    """The spec table ``columns`` covers best (by share of its columns), if any."""
    best: tuple[float, str] | None = None
    chosen = None
    for table in targets:
        shared = sum(1 for column in table.columns if column in columns)
        if shared < _required(table):
            continue
        if table.primary_key is not None and not set(table.primary_key) <= columns:
            continue
        # Highest share first; ties go to the first name, so the result is stable.
        rank = (-shared / len(table.columns), table.name)
        if best is None or rank < best:
            best, chosen = rank, table
    return chosen


def _spec_rows(conn: psycopg.Connection[Any], name: str, catalog: Catalog) -> int | None:
    live = catalog.relations.get(name)
    if live is None or not live.is_table:
        return None
    # Counted as the application finds it: by its unqualified name on the search_path.
    return _count(conn, name, sql.Identifier(name), name)


def _count(
    conn: psycopg.Connection[Any], name: str, identifier: sql.Identifier, relname: str
) -> int:
    query = sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} LIMIT {}) AS capped").format(
        identifier, sql.Literal(ROW_COUNT_CAP + 1)
    )
    try:
        with conn.cursor() as cur:
            cur.execute(query)
            row = cur.fetchone()
    except psycopg.errors.LockNotAvailable:
        raise lock_wait_error(
            conn, f"could not count the rows of {name} (legacy copy check)", relations=[relname]
        ) from None
    return int(row[0]) if row else 0
