"""`astegni-db plan`: read the live database and the spec, write the migrations that close the gap.

Nothing is written until the plan has been read, checked and shown: the
catalog and the data questions are read in one read-only session; the files
are rendered, parsed the way yoyo will parse them, and linted by
`astegni-db lint` (a plan that does not lint clean is a bug here, and is
refused); only then may the caller write them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from astegni_db import db
from astegni_db.converging.planner import PlanOptions, plan_convergence
from astegni_db.converging.probes import DEFAULT_PROBE_TIMEOUT_S, DataProbe
from astegni_db.converging.report import PlanReport
from astegni_db.converging.steps import render_migrations
from astegni_db.errors import AstegniError, ConfigError, MigrationsPending
from astegni_db.migrating.scaffold import next_migration_number, valid_slug
from astegni_db.project.migration_files import ROLLBACK_SUFFIX, load_migration_files
from astegni_db.project.spec import load_spec
from astegni_db.settings import DatabaseTarget
from astegni_db.verify.catalog import read_catalog
from astegni_db.verify.copies import find_legacy_copies

if TYPE_CHECKING:
    import psycopg

DEFAULT_NAME = "converge_to_spec"


def plan(
    target: DatabaseTarget,
    spec_path: Path,
    migrations_dir: Path,
    options: PlanOptions | None = None,
    *,
    name: str = DEFAULT_NAME,
    queries_dir: Path | None = None,
    lock_timeout_s: float | None = None,
    probe_timeout_s: float = DEFAULT_PROBE_TIMEOUT_S,
) -> PlanReport:
    """The plan and its migration files (rendered, linted, not yet written)."""
    options = options or PlanOptions()
    slug = valid_slug(name)
    spec = load_spec(spec_path)
    unknown = sorted(options.move_aside - set(spec.tables))
    if unknown:
        raise ConfigError(f"--move-aside {unknown[0]}: not a table of the spec ({spec_path})")
    number, last_id = next_migration_number(migrations_dir)
    with db.bounded_read_only_session(
        target, purpose="plan", doing="planning", lock_timeout_s=lock_timeout_s
    ) as conn:
        _refuse_pending(conn, migrations_dir)
        catalog = read_catalog(conn, [*spec.tables, *spec.unexpected_tables])
        copies = find_legacy_copies(conn, spec, catalog)
        result = plan_convergence(spec, catalog, copies, DataProbe(conn, probe_timeout_s), options)
    summary = f"bring the database to {spec_path.name}"
    texts = render_migrations(result.steps, number, slug, last_id, summary)
    report = PlanReport(
        steps=result.steps,
        manual=result.manual,
        kept=result.kept,
        migrations=texts,
        migrations_dir=migrations_dir,
    )
    if texts:
        _check_files(report, spec_path, queries_dir)
    return report


def _refuse_pending(conn: psycopg.Connection[Any], migrations_dir: Path) -> None:
    """The spec describes the schema after every migration: planning before the pending
    ones ran would write again what they do, and sort after them on disk."""
    if not migrations_dir.is_dir():
        return
    from astegni_db.migrating.session import plan_on

    pending = plan_on(conn, load_migration_files(migrations_dir)).pending
    if pending:
        names = ", ".join(entry.id for entry in pending[:3])
        more = f" and {len(pending) - 3} more" if len(pending) > 3 else ""
        raise MigrationsPending(
            f"{len(pending)} migration(s) pending ({names}{more}): plan compares the database "
            "with the spec, which assumes them applied",
            hint="run astegni-db migrate first, then plan",
        )


def _check_files(report: PlanReport, spec_path: Path, queries_dir: Path | None) -> None:
    """Parse and lint the files in a scratch directory before anything is written."""
    from astegni_db.lint import lint_paths

    with tempfile.TemporaryDirectory(prefix="astegni-db-plan-") as scratch:
        paths = _write_texts(report, Path(scratch))
        load_migration_files(Path(scratch))  # the loader migrate uses: parses every file
        linted = lint_paths(paths, spec_path=spec_path, queries_dir=queries_dir)
    if linted.findings:
        first = linted.findings[0]
        raise AstegniError(
            f"internal error: the plan's SQL does not lint clean ({first.rule} "
            f"{first.name} at {Path(first.file).name}:{first.line}: {first.message}); "
            "nothing was written",
            hint="please report this with the output of `astegni-db plan --dry-run`",
        )


def _write_texts(report: PlanReport, directory: Path) -> list[Path]:
    """Each file whole or not at all, a rollback before its migration, in phase order:
    a run killed half way leaves complete migrations, each with its rollback, never a
    truncated file that migrate would apply."""
    paths = []
    for text in report.migrations:
        forward = directory / f"{text.migration_id}.sql"
        back = directory / f"{text.migration_id}{ROLLBACK_SUFFIX}"
        _write_whole(back, text.rollback)
        _write_whole(forward, text.forward)
        paths += [forward, back]
    return paths


def _write_whole(path: Path, text: str) -> None:
    # A dot name ending in .tmp is no migration file to the loader, and
    # os.replace within one directory is atomic.
    scratch = path.with_name(f".{path.name}.tmp")
    scratch.write_text(text, encoding="utf-8")
    os.replace(scratch, path)


def write_plan(report: PlanReport) -> PlanReport:
    """Write the plan's migration files into its migrations directory."""
    directory = report.migrations_dir
    for text in report.migrations:
        for path in (
            directory / f"{text.migration_id}.sql",
            directory / f"{text.migration_id}{ROLLBACK_SUFFIX}",
        ):
            if path.exists():
                raise ConfigError(f"{path} already exists: nothing was written")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        report.written = _write_texts(report, directory)
    except OSError as exc:
        raise ConfigError(f"cannot write the plan into {directory}: {exc}") from None
    return report
