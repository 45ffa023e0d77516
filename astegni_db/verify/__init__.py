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

import psycopg

from astegni_db.errors import AstegniError, ConnectionFailed
from astegni_db.verify.catalog import read_catalog
from astegni_db.verify.compare import compare_spec
from astegni_db.verify.connection import connect_read_only, first_line
from astegni_db.verify.data import check_allowed_values
from astegni_db.verify.live import live_spec, spec_to_toml
from astegni_db.verify.queries import check_queries, load_queries
from astegni_db.verify.report import Report, render
from astegni_db.verify.spec import load_spec

__all__ = ["Report", "inspect", "render", "verify"]


def verify(
    database_url: str, spec_path: Path, queries_dir: Path | None = None, strict: bool = False
) -> Report:
    spec = load_spec(spec_path)
    queries = load_queries(queries_dir) if queries_dir is not None else []
    with connect_read_only(database_url, "astegni-db verify") as conn, _database_errors():
        catalog = read_catalog(conn, [*spec.tables, *spec.unexpected_tables])
        findings = compare_spec(spec, catalog)
        findings += check_allowed_values(conn, spec.allowed_values, catalog)
        findings += check_queries(conn, queries)
    return Report(checks=findings, strict=strict)


def inspect(database_url: str, spec_path: Path) -> str:
    spec = load_spec(spec_path)
    with connect_read_only(database_url, "astegni-db inspect") as conn, _database_errors():
        catalog = read_catalog(conn, [*spec.tables, *spec.unexpected_tables])
    described, notes = live_spec(spec, catalog)
    header = [
        f"Live schema of the tables in {spec_path}, written by `astegni-db inspect`.",
        "allowed_values are copied from the spec: they are documentation, not schema.",
        *notes,
    ]
    return spec_to_toml(described, header=header)


@contextmanager
def _database_errors() -> Iterator[None]:
    """Driver errors met after connecting, as one-line AstegniErrors."""
    try:
        yield
    except psycopg.OperationalError as exc:
        raise ConnectionFailed(f"lost the database connection: {first_line(exc)}") from None
    except psycopg.Error as exc:
        raise AstegniError(f"catalog inspection failed: {first_line(exc)}") from None
