"""verify: read the catalog once, compare it with the spec, check data and queries."""

from __future__ import annotations

from pathlib import Path

from astegni_db import db
from astegni_db.errors import AstegniError, LockNotAcquired
from astegni_db.project.queries import load_queries
from astegni_db.project.spec import load_spec
from astegni_db.settings import DatabaseTarget
from astegni_db.verify.catalog import read_catalog
from astegni_db.verify.compare import compare_spec
from astegni_db.verify.data import check_allowed_values
from astegni_db.verify.queries import check_queries
from astegni_db.verify.report import VerifyReport


def verify(
    target: DatabaseTarget,
    spec_path: Path,
    queries_dir: Path | None,
    *,
    strict: bool = False,
    lock_timeout_s: float | None = None,
) -> VerifyReport:
    """Every finding about ``target``; the spec and query files are read, and any
    error in them reported, before connecting.

    No statement waits longer than ``lock_timeout_s`` (None: the default,
    settings.DEFAULT_LOCK_TIMEOUT_S) for a table lock another session holds;
    then LockNotAcquired (exit 4) names the table and the holder.
    """
    from astegni_db.verify.copies import legacy_copy_findings

    spec = load_spec(spec_path)
    queries = load_queries(queries_dir) if queries_dir is not None else []
    with db.bounded_read_only_session(
        target, purpose="verify", doing="verifying", lock_timeout_s=lock_timeout_s
    ) as conn:
        catalog = read_catalog(conn, [*spec.tables, *spec.unexpected_tables])
        findings = compare_spec(spec, catalog)
        findings += legacy_copy_findings(conn, spec, catalog)
        findings += check_allowed_values(conn, spec.allowed_values, catalog)
        findings += check_queries(conn, queries)
    return VerifyReport(findings=findings, strict=strict)


def data_warnings(
    target: DatabaseTarget,
    spec_path: Path,
    *,
    lock_timeout_s: float | None = None,
    timeout_s: float | None = None,
    sample_above: int | None = None,
) -> list[str]:
    """Rows outside the spec's documented value sets, for migrate to report.

    The migrations keep such rows ('Weekly', 'missed') as they are; saying so
    after every migrate is what keeps that from being a silent choice. Run
    after the migrations committed: a table locked by someone else past
    ``lock_timeout_s``, or a check that takes longer than ``timeout_s`` (None:
    data.MIGRATE_CHECK_TIMEOUT_S), is a warning that the values went
    unchecked, never a failure of the migrate that already succeeded. A table
    of more than ``sample_above`` rows (estimated; None: data.Sampling's
    default) is sampled, so the check stays cheap whatever the table's size;
    verify counts exactly.
    """
    import psycopg

    from astegni_db.settings import DEFAULT_LOCK_TIMEOUT_S
    from astegni_db.verify.data import MIGRATE_CHECK_TIMEOUT_S, Sampling

    spec = load_spec(spec_path)
    if not spec.allowed_values:
        return []
    timeout_s = MIGRATE_CHECK_TIMEOUT_S if timeout_s is None else timeout_s
    sampling = Sampling() if sample_above is None else Sampling(exact_up_to=sample_above)
    # A lock wait gives up before the statement timeout would, so that the
    # warning names who holds the table rather than only the time it took.
    lock_wait_s = DEFAULT_LOCK_TIMEOUT_S if lock_timeout_s is None else lock_timeout_s
    lock_wait_s = min(lock_wait_s, timeout_s / 2)
    try:
        with db.bounded_read_only_session(
            target, purpose="data check", doing="checking values", lock_timeout_s=lock_wait_s
        ) as conn:
            conn.execute(
                "SELECT set_config('statement_timeout', %s, false)",
                (f"{max(1, round(timeout_s * 1000))}ms",),
            )
            try:
                catalog = read_catalog(conn, list(spec.tables))
                findings = check_allowed_values(conn, spec.allowed_values, catalog, sampling)
            except psycopg.errors.QueryCanceled:
                return [
                    f"values not checked within {timeout_s:g} s;"
                    " run `astegni-db verify` for the full count"
                ]
    except LockNotAcquired as exc:
        return [f"values not checked: {exc.message}"]
    return [f.message for f in findings if f.status == "warning"]


def renamed_away_hint(target: DatabaseTarget, spec_path: Path) -> str | None:
    """Where a missing spec table's rows are, when a legacy copy holds them; for an
    error that says the table was not found (a script renamed it after adoption)."""
    from astegni_db.verify.copies import find_legacy_copies

    spec = load_spec(spec_path)
    try:
        with db.bounded_read_only_session(
            target, purpose="hint", doing="looking for the missing table"
        ) as conn:
            catalog = read_catalog(conn, list(spec.tables))
            copies = [
                copy for copy in find_legacy_copies(conn, spec, catalog) if copy.spec_rows is None
            ]
    except AstegniError:
        return None
    if not copies:
        return None
    copy = copies[0]
    return (
        f"{copy.copy_of} is missing and {copy.table} has its columns and {copy.rows} rows: "
        f"renamed after adoption? Rename it back (ALTER TABLE {copy.table} RENAME TO "
        f"{copy.copy_of}: catalog-only, every row kept), then migrate again; with nothing "
        "pending, `astegni-db plan` writes that rename as a migration"
    )
