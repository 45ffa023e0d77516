"""Data findings: rows whose values lie outside the spec's documented sets.

They are warnings, never failures: legacy rows hold 'Weekly', 'One-time' or
'missed', and the migrations deliberately keep them. One statement per table,
counting rows per out-of-set value. A table locked by another session (a long
ALTER TABLE) is waited for no longer than the session's lock_timeout; then
the check fails, naming the table and who holds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import psycopg
from psycopg import sql

from astegni_db.db import describe_db_error, lock_wait_error
from astegni_db.verify.catalog import Catalog
from astegni_db.verify.findings import Finding


def check_allowed_values(
    conn: psycopg.Connection[Any],
    allowed: Mapping[str, Mapping[str, tuple[str, ...]]],
    catalog: Catalog,
) -> list[Finding]:
    findings: list[Finding] = []
    for table, columns in allowed.items():
        live = catalog.relations.get(table)
        # A missing table or column is already an error of its own.
        present = {c: v for c, v in columns.items() if live and c in live.columns}
        if not present:
            continue
        try:
            counts = _out_of_set_counts(conn, table, present)
        except psycopg.errors.LockNotAvailable:
            raise lock_wait_error(
                conn, f"could not read table {table} (data check)", relations=[table]
            ) from None
        except psycopg.errors.InsufficientPrivilege as exc:
            # A role that may read the catalog but not the rows can still verify
            # the schema; the data check is reported as not done, not as passed.
            findings += [
                Finding(
                    table,
                    f"{table}.{column}",
                    "data",
                    "rows readable",
                    "permission denied",
                    "warning",
                    f"{table}.{column}: values not checked: {describe_db_error(exc)}",
                )
                for column in present
            ]
            continue
        for column, values in present.items():
            obj = f"{table}.{column}"
            expected = "one of " + ", ".join(repr(v) for v in values) + " (or NULL)"
            stray = counts.get(column, [])
            if not stray:
                findings.append(
                    Finding(
                        table,
                        obj,
                        "data",
                        expected,
                        "all rows in set",
                        "ok",
                        f"{obj}: every row holds a documented value",
                    )
                )
                continue
            rows = sum(count for _, count in stray)
            actual = ", ".join(f"{value!r} x{count}" for value, count in stray)
            findings.append(
                Finding(
                    table,
                    obj,
                    "data",
                    expected,
                    actual,
                    "warning",
                    f"{obj}: {rows} row(s) outside the documented values: {actual}",
                )
            )
    return findings


def _out_of_set_counts(
    conn: psycopg.Connection[Any], table: str, columns: Mapping[str, tuple[str, ...]]
) -> dict[str, list[tuple[str, int]]]:
    parts = [
        sql.SQL(
            "SELECT {label} AS column_name, {column}::text AS value, count(*) AS row_count"
            " FROM {table} WHERE {column} IS NOT NULL AND NOT ({column}::text = ANY ({values}))"
            " GROUP BY 2"
        ).format(
            label=sql.Literal(column),
            column=sql.Identifier(column),
            table=sql.Identifier(table),
            values=sql.Placeholder(),
        )
        for column in columns
    ]
    query = sql.SQL(" UNION ALL ").join(parts) + sql.SQL(" ORDER BY 1, 3 DESC, 2")
    counts: dict[str, list[tuple[str, int]]] = {}
    with conn.cursor() as cur:
        cur.execute(query, [list(values) for values in columns.values()])
        for column, value, count in cur.fetchall():
            counts.setdefault(column, []).append((value, count))
    return counts
