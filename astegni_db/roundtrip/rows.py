"""The rows a starting point held, and whether the round trip kept them.

From a dump loaded with its data (`check --from-dump --with-data`) or a legacy
state with rows, `astegni-db check` proves two things about data, besides the
schema:

- migrating loses no row and no column that held data: every table the start
  had is still there, with at least as many rows, in all of its columns (a
  migration may change values: a data fix is a migration's right);
- rolling back and migrating again is lossless: every row of those tables, in
  the columns they had after the first migrate, is exactly what it was then.

Rows are compared by count and by a digest of their text forms, sorted, so
the proof costs one scan of each table per fingerprint and no memory beyond a
row at a time on our side.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

from astegni_db import db, sqlfiles
from astegni_db.migrating.bookkeeping import BOOKKEEPING_TABLES
from astegni_db.settings import DatabaseTarget


class TableRows(NamedTuple):
    columns: tuple[str, ...]  # the columns fingerprinted, in order
    rows: int
    digest: str  # "" when only counted


# "schema.table" -> its rows
RowsSnapshot = dict[str, TableRows]


def rows_snapshot(
    target: DatabaseTarget,
    *,
    digest: bool = False,
    columns_of: Mapping[str, TableRows] | None = None,
) -> RowsSnapshot:
    """Count (and with ``digest``, fingerprint) the rows of every user table.

    ``columns_of``: only these tables, in the columns they had then that still
    exist (a column gone shows as a shorter ``columns``).
    """
    from psycopg import sql

    found: RowsSnapshot = {}
    with db.read_only_session(target, purpose="check", doing="reading the rows") as conn:
        tables = conn.execute(
            sqlfiles.load("table_columns"), {"ignored": list(BOOKKEEPING_TABLES)}
        ).fetchall()
        for schema, table, columns in tables:
            key = f"{schema}.{table}"
            if columns_of is not None:
                if key not in columns_of:
                    continue
                columns = [c for c in columns_of[key].columns if c in columns]
            relation = sql.Identifier(schema, table)
            if digest and columns:
                listed = sql.SQL(", ").join(map(sql.Identifier, columns))
                row = sql.SQL("ROW({})::text").format(listed)
                query = sql.SQL(
                    "SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '')"
                    " FROM (SELECT md5({row}) AS h FROM {relation}) AS rows"
                ).format(row=row, relation=relation)
            else:
                query = sql.SQL("SELECT count(*), '' FROM {relation}").format(relation=relation)
            count, fingerprint = conn.execute(query).fetchone() or (0, "")
            found[key] = TableRows(tuple(columns), int(count), str(fingerprint))
    return found


def held_rows(snapshot: RowsSnapshot) -> int:
    return sum(table.rows for table in snapshot.values())


def rows_lost_by_migrating(start: RowsSnapshot, migrated: RowsSnapshot) -> list[str]:
    """Tables, rows or columns with data that the start had and migrating removed."""
    lines = []
    for table, was in sorted(start.items()):
        now = migrated.get(table)
        if now is None:
            if was.rows:
                lines.append(f"table {table} is gone after migrating ({was.rows} row(s))")
            continue
        gone = [c for c in was.columns if c not in now.columns]
        if gone and was.rows:
            lines.append(
                f"table {table}: column(s) {', '.join(gone)} gone after migrating"
                f" ({was.rows} row(s) held them)"
            )
        if now.rows < was.rows:
            lines.append(f"table {table}: {was.rows} row(s) before migrating, {now.rows} after")
    return lines


def rows_changed_by_round_trip(migrated: RowsSnapshot, final: RowsSnapshot) -> list[str]:
    """Tables whose rows differ after rolling back and migrating again."""
    lines = []
    for table, was in sorted(migrated.items()):
        now = final.get(table)
        if now is None:
            lines.append(f"table {table} is gone after the round trip ({was.rows} row(s))")
        elif now.columns != was.columns:
            gone = ", ".join(c for c in was.columns if c not in now.columns)
            lines.append(f"table {table}: column(s) {gone} gone after the round trip")
        elif now.rows != was.rows:
            lines.append(
                f"table {table}: {was.rows} row(s) after migrating, {now.rows} after the round trip"
            )
        elif now.digest != was.digest:
            lines.append(
                f"table {table}: the values of its {now.rows} row(s) differ after the round trip"
            )
    return lines
