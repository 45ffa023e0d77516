"""Does this live database have the schema Astegni expects, and if not, what differs?

``verify`` compares the live catalog with checks/schema.toml (plus the
application's queries and the documented value sets) and returns a Report
that owns the exit code. ``inspect`` prints the live schema of the spec's
tables in the spec's own format.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

from astegni_db import db
from astegni_db.errors import AstegniError, ConnectionFailed
from astegni_db.settings import DatabaseTarget, parse_database_url
from astegni_db.verify.catalog import read_catalog
from astegni_db.verify.compare import compare_spec
from astegni_db.verify.data import check_allowed_values
from astegni_db.verify.live import live_spec, spec_to_toml
from astegni_db.verify.queries import check_queries, load_queries
from astegni_db.verify.report import Report, render
from astegni_db.verify.spec import load_spec

__all__ = ["Report", "data_warnings", "inspect", "render", "verify"]


def verify(
    database_url: DatabaseTarget | str,
    spec_path: Path,
    queries_dir: Path | None = None,
    strict: bool = False,
    *,
    connect_timeout: int = db.DEFAULT_CONNECT_TIMEOUT,
) -> Report:
    spec = load_spec(spec_path)
    queries = load_queries(queries_dir) if queries_dir is not None else []
    target = _target(database_url)
    with _read_only_connection(target, "verify", connect_timeout) as conn:
        catalog = read_catalog(conn, [*spec.tables, *spec.unexpected_tables])
        findings = compare_spec(spec, catalog)
        findings += check_allowed_values(conn, spec.allowed_values, catalog)
        findings += check_queries(conn, queries)
    return Report(checks=findings, strict=strict)


def data_warnings(
    database_url: DatabaseTarget | str,
    spec_path: Path,
    *,
    connect_timeout: int = db.DEFAULT_CONNECT_TIMEOUT,
) -> list[str]:
    """Rows outside the spec's documented value sets, for migrate to report.

    The migrations keep such rows ('Weekly', 'missed') as they are; saying so
    after every migrate is what keeps that from being a silent choice.
    """
    spec = load_spec(spec_path)
    if not spec.allowed_values:
        return []
    with _read_only_connection(_target(database_url), "data check", connect_timeout) as conn:
        catalog = read_catalog(conn, list(spec.tables))
        findings = check_allowed_values(conn, spec.allowed_values, catalog)
    return [f.message for f in findings if f.status == "warning"]


def inspect(
    database_url: DatabaseTarget | str,
    spec_path: Path,
    *,
    connect_timeout: int = db.DEFAULT_CONNECT_TIMEOUT,
) -> str:
    spec = load_spec(spec_path)
    with _read_only_connection(_target(database_url), "inspect", connect_timeout) as conn:
        catalog = read_catalog(conn, [*spec.tables, *spec.unexpected_tables])
    described, notes = live_spec(spec, catalog)
    header = [
        f"Live schema of the tables in {spec_path}, written by `astegni-db inspect`.",
        "allowed_values are copied from the spec: they are documentation, not schema.",
        *notes,
    ]
    return spec_to_toml(described, header=header)


def _target(database_url: DatabaseTarget | str) -> DatabaseTarget:
    if isinstance(database_url, DatabaseTarget):
        return database_url
    return parse_database_url(database_url, "argument")


@contextmanager
def _read_only_connection(
    target: DatabaseTarget, purpose: str, connect_timeout: int
) -> Iterator[psycopg.Connection[Any]]:
    """verify's own connection (never yoyo's, which needs CREATE rights), read-only throughout.

    Driver errors met after connecting become one-line AstegniErrors.
    """
    with db.connect(target, purpose=purpose, connect_timeout=connect_timeout) as conn:
        try:
            # Every later statement runs read-only: a query file that tried to
            # write could not, even by mistake.
            conn.execute("SET default_transaction_read_only = on")
            yield conn
        except psycopg.Error as exc:
            reason = target.scrub(db.describe_db_error(exc))
            if isinstance(exc, psycopg.OperationalError) and exc.sqlstate is None:
                raise ConnectionFailed(
                    f"lost the connection to {target.redacted} during {purpose}: {reason}"
                ) from None
            raise AstegniError(f"{purpose} failed: {reason}") from None
