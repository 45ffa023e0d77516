"""Static checks of migration files for DDL that is unsafe on a busy database.

``lint_paths([Path("migrations")])`` reads the files in yoyo's order and returns
a :class:`LintReport`; nothing here connects to a database or imports psycopg.
Statements are read with PostgreSQL's own grammar (astegni_db/sqlgrammar.py,
pglast), imported when the first file is parsed. Rules, ids and silencing:
docs/lint.md.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from astegni_db.errors import ConfigError
from astegni_db.lint.context import RUNNERS, FileContext, History, Runner
from astegni_db.lint.readset import ReadSet, load_read_set
from astegni_db.lint.report import FORMATS, Finding, Format, LintReport
from astegni_db.lint.rules import RULES, RULES_BY_ID, Hit, Rule
from astegni_db.lint.statements import ParsedMigration, parse_migration
from astegni_db.project.migration_files import (
    MigrationFile,
    is_rollback_file,
    load_migration_files,
    read_migration_file,
)
from astegni_db.settings import DEFAULT_QUERIES, DEFAULT_SPEC

__all__ = [
    "FORMATS",
    "RULES",
    "RUNNERS",
    "Finding",
    "Format",
    "LintReport",
    "Runner",
    "lint_paths",
]


def lint_paths(
    paths: Sequence[Path],
    *,
    spec_path: Path | None = DEFAULT_SPEC,
    queries_dir: Path | None = DEFAULT_QUERIES,
    runner: Runner = "astegni-db",
    disabled: Collection[str] = (),
) -> LintReport:
    """Lint migration files (directories: every ``*.sql`` in them, in yoyo's order).

    ``spec_path``/``queries_dir`` say what the application reads (rules AD108,
    AD109); the defaults are skipped with a note when absent, explicit paths
    must exist. ``runner`` is who will run the files (rule AD111).
    """
    if runner not in RUNNERS:
        raise ConfigError(f"unknown runner {runner!r}: use one of {', '.join(RUNNERS)}")
    unknown = sorted({d.upper() for d in disabled} - set(RULES_BY_ID))
    if unknown:
        raise ConfigError(
            f"unknown lint rule(s): {', '.join(unknown)}; known: {RULES[0].id}-{RULES[-1].id}"
        )
    report = LintReport()
    read_set = _read_set(spec_path, queries_dir, report)
    rules = [rule for rule in RULES if rule.id not in {d.upper() for d in disabled}]
    history = History()
    for migration in _migration_files(paths, report):
        source = parse_migration(migration)
        report.files.append(str(migration.path))
        report.notes += [
            f"{migration.path}:{line}: EXECUTE in a DO block runs SQL built at run time, "
            "which lint cannot see"
            for line in source.dynamic_sql_lines
        ]
        _lint_file(source, FileContext(source, read_set, history, runner), rules, report)
    return report


def _read_set(spec: Path | None, queries: Path | None, report: LintReport) -> ReadSet:
    if spec == DEFAULT_SPEC and not spec.is_file():
        report.notes.append(f"{spec} not found: renames and drops are not checked against it")
        spec = None
    if queries == DEFAULT_QUERIES and not queries.is_dir():
        report.notes.append(f"{queries} not found: renames and drops are not checked against it")
        queries = None
    if spec is not None and not spec.is_file():
        raise ConfigError(f"spec file not found: {spec}")
    return load_read_set(spec, queries)


def _migration_files(paths: Sequence[Path], report: LintReport) -> list[MigrationFile]:
    """The SQL migrations to lint, read by the same reader as migrate uses."""
    found: list[MigrationFile] = []
    for path in paths:
        if path.is_dir():
            migrations = load_migration_files(path)
            found += [m for m in migrations if m.is_sql]
            skipped = [m.path.name for m in migrations if not m.is_sql]
            if skipped:
                report.notes.append(f"Python migrations are not linted: {', '.join(skipped)}")
        elif path.is_file():
            if is_rollback_file(path):
                report.notes.append(f"{path}: rollback files are not linted (only their presence)")
            else:
                found.append(read_migration_file(path))
        else:
            raise ConfigError(f"no such file or directory: {path}")
    return found


def _lint_file(
    source: ParsedMigration, ctx: FileContext, rules: list[Rule], report: LintReport
) -> None:
    first = len(report.findings)
    for statement in source.statements:
        for rule in rules:
            if rule.statement_check is None:
                continue
            for hit in rule.statement_check(statement, ctx):
                _add(report, source, rule, hit, statement.line)
        ctx.record(statement)
    for rule in rules:
        if rule.file_check is None:
            continue
        for hit in rule.file_check(ctx):
            _add(report, source, rule, hit, hit.statement_line)
    # This file's findings in line order (file-level ones sit on line 1).
    report.findings[first:] = sorted(report.findings[first:], key=lambda f: (f.line, f.rule))


def _add(
    report: LintReport, source: ParsedMigration, rule: Rule, hit: Hit, statement_line: int | None
) -> None:
    if source.is_silenced(rule.id, hit.line, statement_line):
        report.silenced += 1
        return
    report.findings.append(
        Finding(
            rule.id, rule.name, str(source.path), hit.line, hit.message, hit.suggestion, hit.locks
        )
    )
