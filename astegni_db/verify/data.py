"""Data findings: rows whose values lie outside the spec's documented sets.

They are warnings, never failures: legacy rows hold 'Weekly', 'One-time' or
'missed', and the migrations deliberately keep them. One statement per table,
counting rows per out-of-set value. A table locked by another session (a long
ALTER TABLE) is waited for no longer than the session's lock_timeout; then
the check fails, naming the table and who holds it.

verify counts exactly: it is the explicit check. migrate's check, run after
every change, passes a ``Sampling``: a big table is then read through
``TABLESAMPLE SYSTEM`` (about ``sample_rows`` rows' worth of its pages) and
the counts are scaled-up estimates, marked "≈". On 5M rows the full scan made
the check, not the migration, the slow part of migrate (docs/performance.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, NamedTuple

import psycopg
from psycopg import sql

from astegni_db import sqlfiles
from astegni_db.db import describe_db_error, lock_wait_error
from astegni_db.verify.catalog import Catalog
from astegni_db.verify.findings import Finding

# migrate's check gives up after this long (statement_timeout); --data-check-timeout.
MIGRATE_CHECK_TIMEOUT_S = 2.0


class Sampling(NamedTuple):
    """When a table is big enough to be sampled rather than counted, and how much to read."""

    exact_up_to: int = 200_000  # estimated rows (table_rows_estimate.sql)
    sample_rows: int = 100_000  # about this many rows' worth of pages are read


def check_allowed_values(
    conn: psycopg.Connection[Any],
    allowed: Mapping[str, Mapping[str, tuple[str, ...]]],
    catalog: Catalog,
    sampling: Sampling | None = None,
) -> list[Finding]:
    """One finding per documented column; with ``sampling``, a big table's counts are
    estimates from a sample (its findings say so)."""
    findings: list[Finding] = []
    for table, columns in allowed.items():
        live = catalog.relations.get(table)
        # A missing table or column is already an error of its own.
        present = {c: v for c, v in columns.items() if live and c in live.columns}
        if not present or live is None:
            continue
        try:
            percent = None if sampling is None else _sample_percent(conn, live.oid, sampling)
            counts = _out_of_set_counts(conn, table, present, percent)
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
            sampled = "" if percent is None else f" in a {percent:.2g}% sample"
            if not stray:
                findings.append(
                    Finding(
                        table,
                        obj,
                        "data",
                        expected,
                        f"all rows in set{sampled}",
                        "ok",
                        f"{obj}: every row{sampled} holds a documented value",
                    )
                )
                continue
            if percent is None:
                rows = str(sum(count for _, count in stray))
                actual = ", ".join(f"{value!r} x{count}" for value, count in stray)
                how = ""
            else:
                # Scaled up from the sample: an estimate, and marked as one.
                scale = 100 / percent
                rows = f"≈{round(sum(count for _, count in stray) * scale)}"
                actual = ", ".join(f"{value!r} ≈x{round(count * scale)}" for value, count in stray)
                how = (
                    f" (sampled estimate from {percent:.2g}% of the table;"
                    " `astegni-db verify` counts exactly)"
                )
            findings.append(
                Finding(
                    table,
                    obj,
                    "data",
                    expected,
                    actual,
                    "warning",
                    f"{obj}: {rows} row(s) outside the documented values: {actual}{how}",
                )
            )
    return findings


def _sample_percent(conn: psycopg.Connection[Any], oid: int, sampling: Sampling) -> float | None:
    """The TABLESAMPLE SYSTEM percentage for a big table; None: small enough to count."""
    row = conn.execute(sqlfiles.load("table_rows_estimate"), {"oid": oid}).fetchone()
    estimated = int(row[0]) if row and row[0] is not None else 0
    percent = 100.0 * sampling.sample_rows / max(estimated, 1)
    # A "sample" of the whole table is a count: do it exactly, and say so.
    return None if estimated <= sampling.exact_up_to or percent >= 100 else percent


def _out_of_set_counts(
    conn: psycopg.Connection[Any],
    table: str,
    columns: Mapping[str, tuple[str, ...]],
    percent: float | None = None,
) -> dict[str, list[tuple[str, int]]]:
    """Rows per out-of-set value; with ``percent``, of a TABLESAMPLE SYSTEM sample
    (whole pages, chosen at random: reads about that share of the table)."""
    source: sql.Composable = sql.Identifier(table)
    if percent is not None:
        source = sql.SQL("{} TABLESAMPLE SYSTEM ({})").format(source, sql.Literal(percent))
    parts = [
        sql.SQL(
            "SELECT {label} AS column_name, {column}::text AS value, count(*) AS row_count"
            " FROM {source} WHERE {column} IS NOT NULL AND NOT ({column}::text = ANY ({values}))"
            " GROUP BY 2"
        ).format(
            label=sql.Literal(column),
            column=sql.Identifier(column),
            source=source,
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
