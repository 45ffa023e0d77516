"""Spec against catalog, one function per object kind; every check becomes a Finding.

Passing checks are findings too (status "ok"), so a report shows what was
checked, not only what failed. Objects are matched by meaning: foreign keys by
their columns, CHECKs by their parsed expression (meaning.py), indexes by their
definition; generated names never matter.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from astegni_db.project.spec import (
    ColumnSpec,
    ForeignKeySpec,
    IndexSpec,
    Spec,
    TableSpec,
    collation_parts,
    normalise_check,
)
from astegni_db.verify import meaning
from astegni_db.verify.catalog import (
    Catalog,
    LiveCheck,
    LiveColumn,
    LiveForeignKey,
    LiveIndex,
    LiveTable,
)
from astegni_db.verify.findings import Finding


def compare_spec(spec: Spec, catalog: Catalog) -> list[Finding]:
    findings: list[Finding] = []
    for table in spec.tables.values():
        live = catalog.relations.get(table.name)
        presence = compare_table(table, live)
        findings.append(presence)
        if presence.status != "ok" or live is None:
            continue
        findings += compare_table_comment(table, live)
        findings += compare_columns(table, live)
        findings += compare_primary_key(table, live)
        findings += compare_foreign_keys(table, live)
        findings += compare_check_constraints(table, live)
        findings += compare_indexes(table, live)
    findings += compare_unexpected_tables(spec, catalog)
    return findings


def compare_table(table: TableSpec, live: LiveTable | None) -> Finding:
    if live is None:
        return Finding.check(table.name, table.name, "table", "table", "missing")
    # A partitioned table serves the application's queries like a plain one.
    actual = "table" if live.is_table else live.kind_name
    return Finding.check(table.name, table.name, "table", "table", actual)


def compare_table_comment(table: TableSpec, live: LiveTable) -> list[Finding]:
    # A partial table is checked for what the spec lists only.
    if table.comment is None and table.partial:
        return []
    return _comment_findings(table.name, table.name, table.comment, live.comment)


def _comment_findings(
    table: str, obj: str, expected: str | None, actual: str | None
) -> list[Finding]:
    if expected is not None:
        # Comments are documentation nothing in the application reads: a legacy
        # script re-run rewrites them in its own words and the deploy is still
        # sound. A warning, which --strict turns into a failure.
        return [
            Finding.check(
                table,
                obj,
                "comment",
                repr(expected),
                "no comment" if actual is None else repr(actual),
                failing="warning",
            )
        ]
    if actual is not None:
        # A comment nobody asked for is harmless: worth a note, not a failure.
        return [Finding.check(table, obj, "comment", "no comment", repr(actual), failing="note")]
    return []


def _same_by_meaning(
    table: str, obj: str, kind: str, expected: str, actual: str, same: bool
) -> Finding:
    """A comparison whose texts may differ while meaning the same (``same``)."""
    if expected != actual and same:
        return Finding(table, obj, kind, expected, actual, "ok", f"{obj}: {actual}")
    return Finding.check(table, obj, kind, expected, actual)


def compare_unexpected_tables(spec: Spec, catalog: Catalog) -> list[Finding]:
    findings = []
    for name in spec.unexpected_tables:
        live = catalog.relations.get(name)
        actual = "absent" if live is None else f"present ({live.kind_name})"
        findings.append(Finding.check(name, name, "table", "absent", actual))
    return findings


def compare_columns(table: TableSpec, live: LiveTable) -> list[Finding]:
    findings = []
    text_columns = string_columns(live)
    for column in table.columns.values():
        obj = f"{table.name}.{column.name}"
        found = live.columns.get(column.name)
        if found is None:
            findings.append(Finding.check(table.name, obj, "column", "present", "missing"))
            continue
        findings.append(Finding.check(table.name, obj, "column", "present", "present"))
        findings += compare_column(table.name, column, found, text_columns=text_columns)
    if not table.partial:
        for extra in live.columns.values():
            if extra.name not in table.columns:
                obj = f"{table.name}.{extra.name}"
                findings.append(
                    Finding.check(
                        table.name,
                        obj,
                        "column",
                        "not in spec",
                        f"present ({extra.type})",
                        failing="note",
                    )
                )
    return findings


def compare_column(
    table: str, column: ColumnSpec, live: LiveColumn, *, text_columns: Collection[str] = ()
) -> list[Finding]:
    obj = f"{table}.{column.name}"
    expected_default = column.describe_default()
    actual_default = live.describe_default()
    findings = [
        Finding.check(table, obj, "type", column.type, live.type),
        Finding.check(
            table, obj, "nullable", _nullability(column.nullable), _nullability(live.nullable)
        ),
        _same_by_meaning(
            table,
            obj,
            "default",
            expected_default,
            actual_default,
            expected_default != actual_default
            and same_default(column, live, text_columns=text_columns),
        ),
    ]
    if column.collation is not None or live.collation is not None:
        findings.append(compare_collation(table, obj, column.collation, live.collation))
    findings += _comment_findings(table, obj, column.comment, live.comment)
    return findings


def same_default(
    column: ColumnSpec, live: LiveColumn, *, text_columns: Collection[str] = ()
) -> bool:
    """The spec's default (or generated expression) and the live one compute the same
    value. Identity and serial are words, compared as such; expressions by meaning,
    parsed only when their texts differ."""
    if column.generated is not None:
        return bool(live.generated) and _same_expression(
            column.generated, live.default, text_columns
        )
    if column.identity or column.serial or column.default is None:
        return column.describe_default() == live.describe_default()
    plain = not (live.identity or live.generated or live.serial)
    return plain and _same_expression(column.default, live.default, text_columns)


def _same_expression(expected: str, actual: str | None, text_columns: Collection[str]) -> bool:
    return actual is not None and meaning.same_expression(
        expected, actual, text_columns=text_columns
    )


def compare_collation(table: str, obj: str, expected: str | None, actual: str | None) -> Finding:
    """Collations compare by name: ``C`` and ``"C"`` name the same collation."""
    same = expected == actual or (
        expected is not None
        and actual is not None
        and collation_parts(expected) == collation_parts(actual)
    )
    return _same_by_meaning(
        table, obj, "collation", expected or "default", actual or "default", same
    )


def _nullability(nullable: bool) -> str:
    return "nullable" if nullable else "NOT NULL"


def compare_primary_key(table: TableSpec, live: LiveTable) -> list[Finding]:
    if table.primary_key is None and table.partial:
        return []
    return [
        Finding.check(
            table.name,
            f"{table.name} primary key",
            "primary_key",
            _describe_key(table.primary_key),
            _describe_key(live.primary_key),
        )
    ]


def _describe_key(columns: tuple[str, ...] | None) -> str:
    return "none" if columns is None else f"PRIMARY KEY ({', '.join(columns)})"


def compare_foreign_keys(table: TableSpec, live: LiveTable) -> list[Finding]:
    findings = []
    matched: set[str] = set()
    for fk in sorted(table.foreign_keys):
        obj = f"{table.name}({', '.join(fk.columns)}) foreign key"
        expected = describe_fk(fk)
        chosen = matching_fk(fk, live.foreign_keys)
        if chosen is not None:
            matched.add(chosen.name)
        findings.append(
            Finding.check(
                table.name,
                obj,
                "foreign_key",
                expected,
                "none" if chosen is None else describe_fk(chosen),
            )
        )
        if chosen is not None and not chosen.validated:
            findings.append(_not_validated(table.name, obj, "foreign_key"))
    if not table.partial:
        for extra in live.foreign_keys:
            if extra.name not in matched:
                obj = f"{table.name}({', '.join(extra.columns)}) foreign key"
                findings.append(
                    Finding.check(
                        table.name,
                        obj,
                        "foreign_key",
                        "none",
                        describe_fk(extra),
                    )
                )
    return findings


def matching_fk(fk: ForeignKeySpec, live: Sequence[LiveForeignKey]) -> LiveForeignKey | None:
    """The live foreign key on ``fk``'s columns, one that matches it exactly first."""
    candidates = [found for found in live if found.columns == fk.columns]
    exact = [found for found in candidates if describe_fk(found) == describe_fk(fk)]
    return (exact or candidates)[0] if candidates else None


def describe_fk(fk: ForeignKeySpec | LiveForeignKey) -> str:
    target = f"{fk.references}({', '.join(fk.referenced_columns)})"
    text = f"-> {target} ON DELETE {fk.on_delete.upper()}"
    if fk.on_update != "no action":
        text += f" ON UPDATE {fk.on_update.upper()}"
    return text + describe_fk_options(fk)


def describe_fk_options(fk: ForeignKeySpec | LiveForeignKey) -> str:
    """MATCH and deferrability as SQL spells them, each only when not the default."""
    text = ""
    if effective_match(fk) != "simple":
        text += f" MATCH {fk.match.upper()}"
    if fk.deferrable:
        text += " DEFERRABLE"
    if fk.initially_deferred:
        text += " INITIALLY DEFERRED"
    return text


def effective_match(fk: ForeignKeySpec | LiveForeignKey) -> str:
    """MATCH FULL differs from MATCH SIMPLE only on a key NULL in some of its columns but
    not all: on a one-column key the two mean the same, and compare the same."""
    return fk.match if len(fk.columns) > 1 else "simple"


def _not_validated(table: str, obj: str, kind: str) -> Finding:
    # NOT VALID constraints hold for new rows only; existing rows were never
    # checked. The schema is right, the data may not be: a warning.
    return Finding(
        table,
        obj,
        kind,
        "validated",
        "NOT VALID",
        "warning",
        f"{obj}: not validated yet (NOT VALID): existing rows were never checked",
    )


def compare_check_constraints(table: TableSpec, live: LiveTable) -> list[Finding]:
    findings = []
    matched, extra = matching_checks(table, live)
    for expression in sorted(table.checks):
        obj = f"{table.name} CHECK ({expression})"
        found = matched.get(expression)
        findings.append(
            Finding.check(
                table.name,
                obj,
                "check",
                "present",
                "missing" if found is None else "present",
            )
        )
        if found is not None and not found.validated:
            findings.append(_not_validated(table.name, obj, "check"))
    if not table.partial:
        for check in extra:
            obj = f"{table.name} CHECK ({normalise_check(check.definition)})"
            findings.append(
                Finding.check(
                    table.name,
                    obj,
                    "check",
                    "absent",
                    f"present (as {check.name})",
                )
            )
    return findings


def matching_checks(
    table: TableSpec, live: LiveTable
) -> tuple[dict[str, LiveCheck], list[LiveCheck]]:
    """Each spec CHECK paired with the live CHECK that tests the same thing (by
    meaning: astegni_db/verify/meaning.py), and the live CHECKs left unpaired."""
    by_text: dict[str, LiveCheck] = {}
    for check in sorted(live.checks, key=lambda c: c.name):
        by_text.setdefault(normalise_check(check.definition), check)
    pairs = meaning.match_by_meaning(table.checks, by_text, text_columns=string_columns(live))
    matched = {expression: by_text[text] for expression, text in pairs.items()}
    paired = set(pairs.values())
    extra = [check for text, check in sorted(by_text.items()) if text not in paired]
    return matched, extra


def string_columns(live: LiveTable) -> frozenset[str]:
    """Columns of a string type: casting them to text, as PostgreSQL prints, changes nothing."""
    return frozenset(
        column.name
        for column in live.columns.values()
        if column.type == "text" or column.type.startswith("character varying")
    )


def matching_index(
    index: IndexSpec, live: Sequence[LiveIndex], *, text_columns: Collection[str] = ()
) -> LiveIndex | None:
    """The live index ``index`` describes; a valid one first, so that a leftover
    invalid duplicate never hides a good one. Spellings are compared as text first;
    only when no index matches so are keys and predicates compared by meaning."""
    same = [found for found in live if _same_index(index, found, None)]
    if not same:
        same = [found for found in live if _same_index(index, found, text_columns)]
    return min(same, key=lambda found: not found.valid, default=None)


def _same_index(index: IndexSpec, found: LiveIndex, text_columns: Collection[str] | None) -> bool:
    """``text_columns`` None: compare texts only, parse nothing."""
    if (
        index.method != found.method
        or index.unique != found.unique
        or index.nulls_not_distinct != found.nulls_not_distinct
        or (
            index.include != found.include
            and [_identifier(name) for name in index.include]
            != [_identifier(name) for name in found.include]
        )
        or len(index.columns) != len(found.columns)
        or (index.where is None) != (found.where is None)
    ):
        return False
    for expected, spellings in zip(index.columns, found.key_spellings(), strict=True):
        if expected in spellings:
            continue
        if text_columns is None or not any(
            meaning.same_index_key(expected, spelling, text_columns=text_columns)
            for spelling in spellings
        ):
            return False
    if index.where is None or found.where is None or index.where == found.where:
        return True
    return text_columns is not None and meaning.same_expression(
        index.where, found.where, text_columns=text_columns
    )


def _identifier(name: str) -> str:
    """A column name as SQL reads it: ``"y"``, ``y`` and ``Y`` are one column."""
    if len(name) > 1 and name.startswith('"') and name.endswith('"'):
        return name[1:-1].replace('""', '"')
    return name.lower()


def index_spec_of(index: LiveIndex) -> IndexSpec:
    return IndexSpec(
        columns=index.columns,
        unique=index.unique,
        method=index.method,
        include=index.include,
        where=index.where,
        nulls_not_distinct=index.nulls_not_distinct,
    )


def compare_indexes(table: TableSpec, live: LiveTable) -> list[Finding]:
    findings = []
    remaining = list(live.indexes)
    text_columns = string_columns(live)
    for index in sorted(table.indexes):
        obj = f"{table.name} index {index.describe()}"
        found = matching_index(index, remaining, text_columns=text_columns)
        if found is None:
            findings.append(Finding.check(table.name, obj, "index", "present", "missing"))
            continue
        remaining.remove(found)
        actual = "present" if found.valid else f"invalid ({found.name})"
        findings.append(Finding.check(table.name, obj, "index", "present", actual))
    if not table.partial:
        for extra in remaining:
            obj = f"{table.name} index {index_spec_of(extra).describe()}"
            findings.append(
                Finding.check(
                    table.name,
                    obj,
                    "index",
                    "absent",
                    f"present (as {extra.name})",
                    failing="note",
                )
            )
    return findings
