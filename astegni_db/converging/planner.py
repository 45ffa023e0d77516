"""Spec + live catalog -> the steps that bring the database to the spec.

One method per object kind, in the order compare.py checks them, so every
kind of difference verify reports has exactly one place here that answers
it: with a Step (SQL that is safe on a busy table by construction), a Manual
procedure (a person must decide: data would change meaning or be lost), or a
Kept note (an extra object, left in place unless a flag asks otherwise).

Rules that hold for every step:
- nothing is scanned or rewritten under ACCESS EXCLUSIVE: columns are added
  nullable and without a default (existing rows read NULL, never a value we
  invented), defaults and DROP NOT NULL are catalog-only, constraints are added
  NOT VALID and validated in a later migration, indexes are built concurrently;
- nothing that holds data is dropped, unless --drop-extra asks for it, and then
  the plan shows how many rows lose what;
- a type change is written only when it is catalog-only, or when the column holds
  no value and --allow-rewrite is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

from astegni_db.converging.steps import PHASES, Kept, Manual, Phase, Step
from astegni_db.project.spec import (
    ColumnSpec,
    ForeignKeySpec,
    IndexSpec,
    Spec,
    TableSpec,
    normalise_check,
)
from astegni_db.verify.catalog import Catalog, LiveColumn, LiveForeignKey, LiveIndex, LiveTable
from astegni_db.verify.compare import (
    compare_collation,
    describe_fk,
    describe_fk_options,
    effective_match,
    index_spec_of,
    matching_checks,
    matching_fk,
    matching_index,
    same_default,
    string_columns,
)
from astegni_db.verify.copies import LegacyCopy

# Steps run in this order within a phase (by the words before the colon in
# Step.action): renames and new tables first, so later steps can name them; old
# constraints dropped before their replacements are added; drops of extra
# columns last.
_RANK = {
    # validate phase: the scans (SHARE UPDATE EXCLUSIVE) before anything that takes
    # ACCESS EXCLUSIVE, which a transaction holds until it commits.
    "validate constraint": 0,
    # schema phase
    "rename": 0,
    "create": 1,
    "add column": 2,
    "type": 3,
    "drop constraint": 4,
    "column": 5,
    "add constraint": 6,
    "drop column": 7,
    "drop table": 8,
}
MAX_NAME = 63  # NAMEDATALEN - 1: longer identifiers are truncated by PostgreSQL
_SERIAL_TYPES = {"integer": "serial", "bigint": "bigserial", "smallint": "smallserial"}


class Probe(Protocol):
    def quote(self, name: str) -> str: ...
    def name_taken(self, name: str) -> bool: ...
    def take(self, name: str) -> None: ...
    def describe(self, table: str) -> LiveTable | None: ...
    def rows(self, table: str) -> int | None: ...
    def values(self, table: str, column: str) -> int | None: ...
    def has_nulls(self, table: str, column: str) -> bool | None: ...
    def violates(self, table: str, expression: str) -> bool | None: ...
    def has_orphans(
        self,
        table: str,
        columns: Sequence[str],
        references: str,
        referenced_columns: Sequence[str],
    ) -> bool | None: ...
    def has_duplicates(self, table: str, columns: Sequence[str]) -> bool | None: ...


class PlanOptions(NamedTuple):
    drop_extra: bool = False  # drop extra columns, empty extra tables, extra indexes
    allow_rewrite: bool = False  # type changes of value-less columns that rewrite the table
    move_aside: frozenset[str] = frozenset()  # spec tables whose live table is moved aside
    aside_suffix: str = "_moved_aside"


class Plan(NamedTuple):
    steps: list[Step]
    manual: list[Manual]
    kept: list[Kept]


def plan_convergence(
    spec: Spec,
    catalog: Catalog,
    copies: Sequence[LegacyCopy],
    probe: Probe,
    options: PlanOptions | None = None,
) -> Plan:
    return _Planner(spec, catalog, copies, probe, options or PlanOptions()).plan()


def sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _fit(name: str) -> str:
    return name.encode()[:MAX_NAME].decode(errors="ignore")


class _Planner:
    def __init__(
        self,
        spec: Spec,
        catalog: Catalog,
        copies: Sequence[LegacyCopy],
        probe: Probe,
        options: PlanOptions,
    ) -> None:
        self.spec = spec
        self.catalog = catalog
        self.copies = copies
        self.probe = probe
        self.options = options
        self.steps: list[Step] = []
        self.manual: list[Manual] = []
        self.kept: list[Kept] = []
        self.q = probe.quote
        # Where each spec table's rows are now, for the probes: a table the plan
        # renames back is still under its old name until the migration runs.
        self.now_at: dict[str, str] = {}

    # -- the plan ---------------------------------------------------------------------

    def plan(self) -> Plan:
        created: list[TableSpec] = []
        for table in self.spec.tables.values():
            live = self.catalog.relations.get(table.name)
            if live is not None and not live.is_table:
                self._not_a_table(table, live)
                continue
            if live is not None and self._other_shape(table, live):
                if table.name not in self.options.move_aside:
                    self._manual_move_aside(table, live)
                    continue
                self._move_aside(table, live)
                live = None
            if live is None:
                live = self._bring_back_copy(table)
            if live is None:
                created.append(table)
                continue
            self._table(table, live)
        for table in _referenced_first(created):
            self._create_table(table)
        for name in self.spec.unexpected_tables:
            self._unexpected_table(name)
        for copy in self.copies:
            if copy.table not in self.now_at.values():
                self._legacy_copy(copy)
        return Plan(self._ordered(self.steps), self.manual, self.kept)

    def _ordered(self, steps: list[Step]) -> list[Step]:
        """Phase by phase, as the files run them; within the schema phase an order
        PostgreSQL accepts: tables before the constraints that reference them, drops
        of old constraints before adds of their replacements."""
        return sorted(
            steps, key=lambda s: (PHASES.index(s.phase), _RANK.get(s.action.split(":")[0], 5))
        )

    def _step(
        self,
        phase: Phase,
        table: str,
        obj: str,
        difference: str,
        action: str,
        lock: str,
        forward: Iterable[str],
        rollback: Iterable[str] = (),
        consequence: str = "",
    ) -> None:
        self.steps.append(
            Step(
                phase,
                table,
                obj,
                difference,
                action,
                lock,
                tuple(forward),
                tuple(rollback),
                consequence,
            )
        )

    def _new_name(self, base: str) -> str:
        name = _fit(base)
        number = 1
        while self.probe.name_taken(name):
            number += 1
            name = _fit(f"{base[: MAX_NAME - 3]}{number}")
        self.probe.take(name)
        return name

    # -- tables -----------------------------------------------------------------------

    def _not_a_table(self, table: TableSpec, live: LiveTable) -> None:
        self.manual.append(
            Manual(
                table.name,
                table.name,
                f"table: expected table, found {live.kind_name}",
                "move the object aside, then plan again",
                f"a {live.kind_name} holds the spec's name; what reads it must be decided by "
                "a person",
                (
                    f"ALTER {live.kind_name.upper()} {self.q(table.name)} RENAME TO "
                    f"{self.q(table.name + self.options.aside_suffix)};",
                    "astegni-db plan   # then creates the table the spec describes",
                ),
            )
        )

    def _other_shape(self, table: TableSpec, live: LiveTable) -> bool:
        """Under the spec's name, a table with another table's columns (most missing)."""
        if table.partial or len(table.columns) < 4:
            return False
        shared = sum(1 for name in table.columns if name in live.columns)
        return shared * 2 < len(table.columns)

    def _shape_difference(self, table: TableSpec, live: LiveTable) -> str:
        shared = sum(1 for name in table.columns if name in live.columns)
        return (
            f"table: has {shared} of the spec's {len(table.columns)} columns "
            f"and {len(live.columns) - shared} others: another table's shape"
        )

    def _manual_move_aside(self, table: TableSpec, live: LiveTable) -> None:
        rows = self.probe.rows(table.name)
        aside = table.name + self.options.aside_suffix
        self.manual.append(
            Manual(
                table.name,
                table.name,
                self._shape_difference(table, live) + f" ({_rows(rows)})",
                "move the table aside, then migrate",
                "its rows belong to another table; altering it into the spec's shape would "
                "mix two tables, and dropping it would lose them",
                (
                    f"astegni-db plan --move-aside {table.name}   # renames it to {aside} "
                    "(catalog-only, every row kept) and creates the spec's table",
                    "astegni-db migrate",
                    f"then decide what {aside}'s rows are, and move them by hand",
                ),
            )
        )

    def _move_aside(self, table: TableSpec, live: LiveTable) -> None:
        aside = self._new_name(table.name + self.options.aside_suffix)
        rows = self.probe.rows(table.name)
        self._step(
            "schema",
            table.name,
            table.name,
            self._shape_difference(table, live),
            f"rename: move {table.name} aside to {aside} (--move-aside), {_rows(rows)} kept",
            "ACCESS EXCLUSIVE, catalog-only (milliseconds)",
            [
                f"ALTER TABLE {self.q(table.name)} RENAME TO {self.q(aside)};"
                f"  -- astegni-db: ignore AD108 -- moved aside on request (--move-aside)"
            ],
            [f"ALTER TABLE {self.q(aside)} RENAME TO {self.q(table.name)};"],
            consequence=f"queries on {table.name} read the new, empty table from now on; "
            f"the old rows stay in {aside}",
        )

    def _bring_back_copy(self, table: TableSpec) -> LiveTable | None:
        """A missing spec table whose rows sit in a legacy copy: renamed back, every row kept."""
        candidates = [copy for copy in self.copies if copy.copy_of == table.name]
        if len(candidates) != 1:
            if candidates:
                names = ", ".join(c.table for c in candidates)
                self.manual.append(
                    Manual(
                        table.name,
                        table.name,
                        f"table: missing; {len(candidates)} possible legacy copies: {names}",
                        "choose the copy, rename it back, then plan again",
                        "more than one table holds this table's columns and rows",
                        tuple(
                            f"ALTER TABLE {self.q(c.table)} RENAME TO {self.q(table.name)};"
                            f"  -- {c.rows} rows"
                            for c in candidates[:1]
                        ),
                    )
                )
            return None
        copy = candidates[0]
        live = self.probe.describe(copy.table)
        if live is None:
            return None
        self.probe.take(table.name)
        self.now_at[table.name] = copy.table
        self._step(
            "schema",
            table.name,
            table.name,
            f"table: missing; {copy.table} holds its columns and {copy.rows} rows",
            f"rename: {copy.table} back to {table.name}, every row kept",
            "ACCESS EXCLUSIVE, catalog-only (milliseconds)",
            [f"ALTER TABLE {self.q(copy.table)} RENAME TO {self.q(table.name)};"],
            [f"ALTER TABLE {self.q(table.name)} RENAME TO {self.q(copy.table)};"],
            consequence=f"code still reading {copy.table} must read {table.name} again",
        )
        live.name = table.name  # a fresh object, read for this plan only
        return live

    def _create_table(self, table: TableSpec) -> None:
        name = self.q(table.name)
        self.probe.take(table.name)
        lines = []
        notes = []
        columns = dict(table.columns)
        for key in table.primary_key or ():
            if key not in columns:
                # A partial table lists no types; serial is what 0001_baseline gives its keys.
                columns[key] = ColumnSpec(key, "integer", False, serial=True)
                notes.append(f"{key} as serial (the spec gives no type)")
        for column in columns.values():
            lines.append(f"    {self._column_definition(column)}")
        if table.primary_key:
            lines.append(f"    PRIMARY KEY ({self._names(table.primary_key)})")
        for check in sorted(table.checks):
            lines.append(f"    CHECK ({check})")
        for fk in sorted(table.foreign_keys):
            lines.append(f"    {self._fk_clause(fk)}")
        forward = [f"CREATE TABLE {name} (\n" + ",\n".join(lines) + "\n);"]
        if table.comment is not None:
            forward.append(f"COMMENT ON TABLE {name} IS {sql_literal(table.comment)};")
        for column in columns.values():
            if column.comment is not None:
                forward.append(self._comment_sql(table.name, column.name, column.comment))
        for index in sorted(table.indexes):
            # A new, empty table: a plain build takes no time and blocks nobody.
            name = self._index_name(table.name, index)
            forward.append(self._create_index_sql(table.name, index, name, concurrently=False))
        action = "create: the table, empty"
        if notes:
            action += f" ({'; '.join(notes)})"
        self._step(
            "schema",
            table.name,
            table.name,
            "table: expected table, found missing",
            action,
            "a new table: nobody waits for it",
            forward,
            [self._drop_if_empty(table.name)],
        )

    def _column_definition(self, column: ColumnSpec) -> str:
        sql_type = column.type
        if column.serial:
            sql_type = _SERIAL_TYPES.get(column.type, column.type)
        text = f"{self.q(column.name)} {sql_type}"
        if column.collation is not None:
            text += f" COLLATE {column.collation}"
        if not column.nullable:
            text += " NOT NULL"
        if column.identity is not None:
            text += f" GENERATED {column.identity.upper()} AS IDENTITY"
        elif column.generated is not None:
            text += f" GENERATED ALWAYS AS ({column.generated}) STORED"
        elif column.default is not None:
            text += f" DEFAULT {column.default}"
        return text

    def _drop_if_empty(self, table: str) -> str:
        literal = sql_literal(self.q(table))
        return (
            "DO $$\n"
            "BEGIN\n"
            f"    IF to_regclass({literal}) IS NULL THEN\n"
            "        RETURN;\n"
            "    END IF;\n"
            f"    LOCK TABLE {self.q(table)} IN ACCESS EXCLUSIVE MODE;\n"
            f"    IF EXISTS (SELECT FROM {self.q(table)}) THEN\n"
            f"        RAISE EXCEPTION 'refusing to drop {table}: it holds rows'\n"
            "              USING ERRCODE = 'object_in_use';\n"
            "    END IF;\n"
            f"    DROP TABLE {self.q(table)};\n"
            "END\n"
            "$$;"
        )

    def _unexpected_table(self, name: str) -> None:
        live = self.catalog.relations.get(name)
        if live is None:
            return
        rows = self.probe.rows(name) if live.is_table else None
        difference = f"table: expected absent, found present ({live.kind_name}, {_rows(rows)})"
        if self.options.drop_extra and live.is_table and rows == 0:
            self._step(
                "schema",
                name,
                name,
                difference,
                f"drop table: {name}, empty (--drop-extra)",
                "ACCESS EXCLUSIVE, catalog-only (milliseconds)",
                [self._drop_if_empty(name)],
                # Its definition is not in the spec: a rollback could only guess it.
                [],
            )
            return
        self.kept.append(
            Kept(
                name,
                name,
                difference,
                "holds rows: back them up and drop it by hand"
                if rows
                else "left in place; --drop-extra drops it while it is empty",
            )
        )

    def _legacy_copy(self, copy: LegacyCopy) -> None:
        """A table beside an existing spec table, with its columns and rows: perhaps the
        rows a rename script moved away. Only a person can tell which rows belong where."""
        self.kept.append(
            Kept(
                copy.table,
                copy.table,
                f"legacy_copy: has the columns of {copy.copy_of} and {_rows(copy.rows)}",
                f"left in place: compare its rows with {copy.copy_of}'s and move what belongs "
                "there by hand; nothing drops it",
            )
        )

    # -- one table --------------------------------------------------------------------

    def _table(self, table: TableSpec, live: LiveTable) -> None:
        self._table_comment(table, live)
        self._columns(table, live)
        self._primary_key(table, live)
        self._foreign_keys(table, live)
        self._checks(table, live)
        self._indexes(table, live)

    def _table_comment(self, table: TableSpec, live: LiveTable) -> None:
        if table.comment is None or table.comment == live.comment:
            return
        before = "NULL" if live.comment is None else sql_literal(live.comment)
        t = self.q(table.name)
        self._step(
            "schema",
            table.name,
            table.name,
            "comment: expected the spec's wording, found "
            + ("none" if live.comment is None else repr(live.comment)),
            f"table: rewrite the comment on {table.name}",
            "SHARE UPDATE EXCLUSIVE, catalog-only: reads and writes go on",
            [f"COMMENT ON TABLE {t} IS {sql_literal(table.comment)};"],
            [f"COMMENT ON TABLE {t} IS {before};"],
        )

    def _columns(self, table: TableSpec, live: LiveTable) -> None:
        text_columns = string_columns(live)
        for column in table.columns.values():
            found = live.columns.get(column.name)
            if found is None:
                self._add_column(table, column)
                continue
            self._type(table, column, found)
            self._collation(table, column, found)
            self._default(table, column, found, text_columns)
            self._nullable(table, column, found)
            self._comment(table, column, found)
        if not table.partial:
            for extra in live.columns.values():
                if extra.name not in table.columns:
                    self._extra_column(table, extra)

    def _at(self, table: str) -> str:
        return self.now_at.get(table, table)

    def _obj(self, table: str, column: str) -> str:
        return f"{table}.{column}"

    def _add_column(self, table: TableSpec, column: ColumnSpec) -> None:
        t, c = self.q(table.name), self.q(column.name)
        obj = self._obj(table.name, column.name)
        numbered = "serial" if column.serial else "identity" if column.identity else None
        if numbered is not None:
            self.manual.append(
                Manual(
                    table.name,
                    obj,
                    f"column: expected present, found missing ({numbered})",
                    f"add the {numbered} column by hand",
                    f"a{'n' if numbered == 'identity' else ''} {numbered} column gives every "
                    "existing row a value: the table is rewritten under ACCESS EXCLUSIVE",
                    (
                        "expand and contract: add the column nullable, create its sequence, "
                        "fill it in batches, then make it the column's default "
                        f"({column.describe_default()}) and set NOT NULL",
                    ),
                )
            )
            return
        if column.generated is not None:
            self.manual.append(
                Manual(
                    table.name,
                    obj,
                    "column: expected present, found missing (generated)",
                    "add the generated column by hand",
                    "a stored generated column is computed for every existing row: the table "
                    "is rewritten under ACCESS EXCLUSIVE",
                    (
                        f"in a maintenance window: ALTER TABLE {t} ADD COLUMN {c} {column.type} "
                        f"GENERATED ALWAYS AS ({column.generated}) STORED;",
                        "or expand and contract: add a plain column filled by a trigger, "
                        "backfill it in batches, and switch to the generated column in a "
                        "later release",
                    ),
                )
            )
            return
        collate = "" if column.collation is None else f" COLLATE {column.collation}"
        forward = [f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c} {column.type}{collate};"]
        rollback = [self._drop_column_if_empty(table.name, column.name)]
        self._step(
            "schema",
            table.name,
            obj,
            "column: expected present, found missing",
            f"add column: {column.name} {column.type}, nullable, no default",
            "ACCESS EXCLUSIVE, catalog-only (milliseconds)",
            forward,
            rollback,
            consequence="existing rows read NULL in it",
        )
        if column.default is not None:
            self._set_default(table.name, column, None, "no default")
        if column.comment is not None:
            self._step(
                "schema",
                table.name,
                obj,
                "comment: expected the spec's, found none (new column)",
                f"column: comment on {column.name}",
                "SHARE UPDATE EXCLUSIVE, catalog-only",
                [self._comment_sql(table.name, column.name, column.comment)],
            )
        if not column.nullable:
            rows = self.probe.rows(self._at(table.name))
            self._not_null(table, column, nulls=None if rows is None else rows > 0)

    def _drop_column_if_empty(self, table: str, column: str) -> str:
        t, c = self.q(table), self.q(column)
        return (
            "DO $$\n"
            "BEGIN\n"
            f"    LOCK TABLE {t} IN ACCESS EXCLUSIVE MODE;\n"
            f"    IF EXISTS (SELECT FROM {t} WHERE {c} IS NOT NULL) THEN\n"
            f"        RAISE EXCEPTION 'refusing to drop {table}.{column}: it holds values'\n"
            "              USING ERRCODE = 'object_in_use',\n"
            "                    HINT = 'Back up the values and set them to NULL first.';\n"
            "    END IF;\n"
            "END\n"
            "$$;\n"
            f"ALTER TABLE {t} DROP COLUMN IF EXISTS {c};"
        )

    def _extra_column(self, table: TableSpec, extra: LiveColumn) -> None:
        obj = self._obj(table.name, extra.name)
        values = self.probe.values(self._at(table.name), extra.name)
        difference = f"column: not in spec, found present ({extra.type}, {_values(values)})"
        if not self.options.drop_extra:
            self.kept.append(
                Kept(table.name, obj, difference, "left in place; --drop-extra drops it")
            )
            return
        t, c = self.q(table.name), self.q(extra.name)
        self._step(
            "schema",
            table.name,
            obj,
            difference,
            f"drop column: {extra.name} (--drop-extra): {_values(values)} lost",
            "ACCESS EXCLUSIVE, catalog-only (milliseconds; the space is reclaimed later)",
            [f"ALTER TABLE {t} DROP COLUMN IF EXISTS {c};"],
            # The values are gone; the rollback gives the column back, empty.
            [f"ALTER TABLE {t} ADD COLUMN IF NOT EXISTS {c} {extra.type};"],
            consequence=f"{_values(values)} are deleted; the rollback brings the column back empty",
        )

    def _type(self, table: TableSpec, column: ColumnSpec, found: LiveColumn) -> None:
        if column.type == found.type:
            return
        obj = self._obj(table.name, column.name)
        difference = f"type: expected {column.type}, found {found.type}"
        t, c = self.q(table.name), self.q(column.name)
        if _catalog_only_type_change(found.type, column.type):
            self._step(
                "schema",
                table.name,
                obj,
                difference,
                f"type: widen {column.name} to {column.type}",
                "ACCESS EXCLUSIVE, catalog-only (no rewrite, no scan)",
                [
                    f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {column.type};"
                    f"  -- astegni-db: ignore AD107 -- catalog-only: {found.type} to {column.type}"
                ],
                # Narrowing back checks every value: refused if one no longer fits.
                [f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {found.type};"],
            )
            return
        values = self.probe.values(self._at(table.name), column.name)
        if values == 0 and self.options.allow_rewrite:
            self._step(
                "schema",
                table.name,
                obj,
                difference,
                f"type: {column.name} to {column.type} (--allow-rewrite; it holds no value)",
                "ACCESS EXCLUSIVE while the table is rewritten (--allow-rewrite)",
                [
                    f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {column.type} USING NULL;"
                    "  -- astegni-db: ignore AD107 -- --allow-rewrite: the column holds no value"
                ],
                [f"ALTER TABLE {t} ALTER COLUMN {c} TYPE {found.type} USING NULL;"],
            )
            return
        why = (
            f"the column holds {_values(values)}: converting them could change their meaning"
            if values != 0
            else "the change rewrites the table under ACCESS EXCLUSIVE; "
            "the column holds no value, so --allow-rewrite may do it"
        )
        self.manual.append(
            Manual(
                table.name,
                obj,
                difference,
                "expand and contract" if values != 0 else "pass --allow-rewrite",
                why,
                (
                    f"ALTER TABLE {t} ADD COLUMN {self.q(column.name + '_new')} {column.type};",
                    "keep both filled (trigger or application), backfill the new one in "
                    "batches, switch reads, then drop the old column and rename the new one "
                    "in a later release",
                )
                if values != 0
                else ("astegni-db plan --allow-rewrite",),
            )
        )

    def _collation(self, table: TableSpec, column: ColumnSpec, found: LiveColumn) -> None:
        obj = self._obj(table.name, column.name)
        compared = compare_collation(table.name, obj, column.collation, found.collation)
        if compared.status == "ok":
            return
        t, c = self.q(table.name), self.q(column.name)
        collation = column.collation or '"default"'
        self.manual.append(
            Manual(
                table.name,
                obj,
                f"collation: expected {compared.expected}, found {compared.actual}",
                "change the collation by hand",
                "every index on the column is rebuilt under ACCESS EXCLUSIVE, and comparisons "
                "and ORDER BY on it give other results: a decision for whoever owns the queries",
                (
                    f"in a maintenance window: ALTER TABLE {t} ALTER COLUMN {c} "
                    f"TYPE {column.type} COLLATE {collation};",
                    "or expand and contract: add a column with the new collation, keep both "
                    "filled, build its indexes CONCURRENTLY, switch reads, then drop the old one",
                ),
            )
        )

    def _default(
        self, table: TableSpec, column: ColumnSpec, found: LiveColumn, text_columns: frozenset[str]
    ) -> None:
        actual = found.describe_default()
        if column.describe_default() == actual or same_default(
            column, found, text_columns=text_columns
        ):
            return
        if column.identity and found.identity:
            self._set_generated(table, column, found)
            return
        if column.identity or column.generated or found.identity or found.generated:
            self._manual_default(table, column, found)
            return
        if column.serial:
            self._make_serial(table, column, found)
            return
        self._set_default(table.name, column, found.default, actual)

    def _set_generated(self, table: TableSpec, column: ColumnSpec, found: LiveColumn) -> None:
        """GENERATED ALWAYS and BY DEFAULT differ only in what inserts may do: catalog-only."""
        assert column.identity is not None
        t, c = self.q(table.name), self.q(column.name)
        was = "ALWAYS" if found.identity == "a" else "BY DEFAULT"
        now = column.identity.upper()
        self._step(
            "schema",
            table.name,
            self._obj(table.name, column.name),
            f"default: expected {column.describe_default()}, found {found.describe_default()}",
            f"column: identity of {column.name} to GENERATED {now}",
            "ACCESS EXCLUSIVE, catalog-only (milliseconds)",
            [f"ALTER TABLE {t} ALTER COLUMN {c} SET GENERATED {now};"],
            [f"ALTER TABLE {t} ALTER COLUMN {c} SET GENERATED {was};"],
            consequence=f"inserts that give {column.name} a value now fail unless they say "
            "OVERRIDING SYSTEM VALUE"
            if now == "ALWAYS"
            else f"inserts may give {column.name} a value of their own",
        )

    def _manual_default(self, table: TableSpec, column: ColumnSpec, found: LiveColumn) -> None:
        t, c = self.q(table.name), self.q(column.name)
        difference = (
            f"default: expected {column.describe_default()}, found {found.describe_default()}"
        )
        if column.generated or found.generated:
            procedure = "replace the generated column by hand"
            why = (
                "PostgreSQL 15 cannot change a generation expression, nor make a column "
                "generated, in place: the column is replaced and the table rewritten"
            )
            instructions: tuple[str, ...] = (
                "expand and contract: add the new column (a generated one rewrites the table "
                "under ACCESS EXCLUSIVE: in a maintenance window), switch reads to it, then "
                "drop the old column and rename the new one in a later release",
            )
            if column.generated is None:
                instructions += (
                    f"to keep the values as a plain column: ALTER TABLE {t} ALTER COLUMN {c} "
                    "DROP EXPRESSION;   -- catalog-only, and not undone by a rollback",
                )
        else:
            procedure = "convert the identity column by hand"
            why = (
                "the numbering moves between an identity and a default: the next number must "
                "continue after the highest one, and inserts that give a value behave differently"
            )
            if column.identity:
                drop_sequence = (
                    ()
                    if found.owned_sequence is None
                    else (f"DROP SEQUENCE {found.owned_sequence};   -- the one serial used",)
                )
                instructions = (
                    f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;",
                    *drop_sequence,
                    f"ALTER TABLE {t} ALTER COLUMN {c} ADD GENERATED "
                    f"{column.identity.upper()} AS IDENTITY;   -- the column must be NOT NULL",
                    f"SELECT setval(pg_get_serial_sequence({sql_literal(t)}, "
                    f"{sql_literal(column.name)}), max({c})) FROM {t};   -- continue numbering",
                )
            else:
                instructions = (
                    f"ALTER TABLE {t} ALTER COLUMN {c} DROP IDENTITY;   -- catalog-only; "
                    "its sequence goes with it",
                    "astegni-db plan   # then writes the spec's default"
                    + (" (a sequence starting after the highest value)" if column.serial else ""),
                )
        self.manual.append(
            Manual(
                table.name,
                self._obj(table.name, column.name),
                difference,
                procedure,
                why,
                instructions,
            )
        )

    def _set_default(
        self, table: str, column: ColumnSpec, before: str | None, described: str
    ) -> None:
        t, c = self.q(table), self.q(column.name)
        obj = self._obj(table, column.name)
        expected = column.default or "no default"
        if column.default is None:
            forward = f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;"
            consequence = f"rows inserted without {column.name} get NULL instead of {before}"
            action = f"column: drop default {before}"
        else:
            forward = f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {column.default};"
            was = "NULL" if before is None else before
            consequence = (
                f"rows inserted without {column.name} get {column.default} instead of {was}"
            )
            action = f"column: set default {column.default}"
        back = (
            f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;"
            if before is None
            else f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {before};"
        )
        self._step(
            "schema",
            table,
            obj,
            f"default: expected {expected}, found {described}",
            action,
            "ACCESS EXCLUSIVE, catalog-only (milliseconds); existing rows keep their values",
            [forward],
            [back],
            consequence=consequence,
        )

    def _make_serial(self, table: TableSpec, column: ColumnSpec, found: LiveColumn) -> None:
        t, c = self.q(table.name), self.q(column.name)
        back = (
            f"ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;"
            if found.default is None
            else f"ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {found.default};"
        )
        if found.owned_sequence is not None:
            # Its own sequence is still there, where it stopped: only the default went.
            self._step(
                "schema",
                table.name,
                self._obj(table.name, column.name),
                f"default: expected serial, found {found.describe_default()}",
                f"column: default back to its sequence {found.owned_sequence}",
                "ACCESS EXCLUSIVE, catalog-only (milliseconds)",
                [
                    f"ALTER TABLE {t} ALTER COLUMN {c} "
                    f"SET DEFAULT nextval({sql_literal(found.owned_sequence)}::regclass);"
                ],
                [back],
                consequence=f"rows inserted without {column.name} get the next number again",
            )
            return
        sequence = self._new_name(f"{table.name}_{column.name}_seq")
        s = self.q(sequence)
        self._step(
            "schema",
            table.name,
            self._obj(table.name, column.name),
            f"default: expected serial, found {found.describe_default()}",
            f"column: own sequence {sequence}, starting after the highest {column.name}",
            "ACCESS EXCLUSIVE, catalog-only; max() reads the key's index",
            [
                f"CREATE SEQUENCE {s} OWNED BY {t}.{c};",
                f"SELECT setval({sql_literal(s)}, coalesce(max({c}), 0) + 1, false) FROM {t};",
                f"ALTER TABLE {t} ALTER COLUMN {c} "
                f"SET DEFAULT nextval({sql_literal(s)}::regclass);",
            ],
            [back, f"DROP SEQUENCE IF EXISTS {s};"],
            consequence=f"rows inserted without {column.name} get the next number",
        )

    def _nullable(self, table: TableSpec, column: ColumnSpec, found: LiveColumn) -> None:
        if column.nullable == found.nullable:
            return
        obj = self._obj(table.name, column.name)
        t, c = self.q(table.name), self.q(column.name)
        if column.nullable:
            if column.name in (table.primary_key or ()):
                return  # the primary key keeps it NOT NULL; reported there
            self._step(
                "schema",
                table.name,
                obj,
                "nullable: expected nullable, found NOT NULL",
                f"column: drop NOT NULL on {column.name}",
                "ACCESS EXCLUSIVE, catalog-only (milliseconds)",
                [f"ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL;"],
                # Checks every row under ACCESS EXCLUSIVE, and refuses once NULLs arrived.
                [f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;"],
                consequence=f"NULL is accepted in {column.name}",
            )
            return
        self._not_null(table, column, nulls=self.probe.has_nulls(self._at(table.name), column.name))

    def _not_null(self, table: TableSpec, column: ColumnSpec, nulls: bool | None) -> None:
        """SET NOT NULL without a scan under ACCESS EXCLUSIVE: a CHECK (c IS NOT NULL)
        added NOT VALID, validated in the next migration, lets SET NOT NULL skip its scan."""
        obj = self._obj(table.name, column.name)
        t, c = self.q(table.name), self.q(column.name)
        check = self._new_name(f"{table.name}_{column.name}_not_null")
        k = self.q(check)
        self._step(
            "schema",
            table.name,
            obj,
            "nullable: expected NOT NULL, found nullable",
            f"add constraint: {check} CHECK ({column.name} IS NOT NULL) NOT VALID",
            "ACCESS EXCLUSIVE, catalog-only (milliseconds): new rows are checked from now on",
            [f"ALTER TABLE {t} ADD CONSTRAINT {k} CHECK ({c} IS NOT NULL) NOT VALID;"],
            [f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {k};"],
            consequence=f"inserts and updates that leave {column.name} NULL now fail",
        )
        if nulls is not False:
            self.manual.append(
                Manual(
                    table.name,
                    obj,
                    "nullable: expected NOT NULL, found nullable",
                    "fill the NULLs, then plan again",
                    f"rows hold NULL in {column.name}"
                    if nulls
                    else f"whether rows hold NULL in {column.name} could not be read in time",
                    (
                        f"UPDATE {t} SET {c} = ... WHERE {c} IS NULL;   -- in batches",
                        "astegni-db plan   # then validates the check and sets NOT NULL",
                    ),
                )
            )
            return
        # Two steps: every VALIDATE of the migration runs first (its scan holds only
        # SHARE UPDATE EXCLUSIVE); SET NOT NULL takes ACCESS EXCLUSIVE, held to the
        # commit, so it comes last, when nothing is left to scan.
        self._step(
            "validate",
            table.name,
            obj,
            "nullable: expected NOT NULL, found nullable",
            f"validate constraint: {check}",
            "SHARE UPDATE EXCLUSIVE during the scan: reads and writes go on",
            [f"ALTER TABLE {t} VALIDATE CONSTRAINT {k};"],
            # Undone with the next step's rollback, which re-adds the check NOT VALID.
        )
        self._step(
            "validate",
            table.name,
            obj,
            "nullable: expected NOT NULL, found nullable",
            f"column: SET NOT NULL on {column.name} (no scan: the validated check proves it), "
            "then drop the check",
            "ACCESS EXCLUSIVE for milliseconds, at the end of the migration",
            [
                f"ALTER TABLE {t} ALTER COLUMN {c} SET NOT NULL;",
                f"ALTER TABLE {t} DROP CONSTRAINT {k};",
            ],
            # Back to where the first migration left it: nullable, guarded by the check.
            [
                f"ALTER TABLE {t} ALTER COLUMN {c} DROP NOT NULL;",
                f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {k};",
                f"ALTER TABLE {t} ADD CONSTRAINT {k} CHECK ({c} IS NOT NULL) NOT VALID;",
            ],
        )

    def _comment(self, table: TableSpec, column: ColumnSpec, found: LiveColumn) -> None:
        if column.comment is None or column.comment == found.comment:
            return
        before = "NULL" if found.comment is None else sql_literal(found.comment)
        self._step(
            "schema",
            table.name,
            self._obj(table.name, column.name),
            "comment: expected the spec's wording, found "
            + ("none" if found.comment is None else repr(found.comment)),
            f"column: rewrite the comment on {column.name}",
            "SHARE UPDATE EXCLUSIVE, catalog-only: reads and writes go on",
            [self._comment_sql(table.name, column.name, column.comment)],
            [f"COMMENT ON COLUMN {self.q(table.name)}.{self.q(column.name)} IS {before};"],
        )

    def _comment_sql(self, table: str, column: str, comment: str) -> str:
        return f"COMMENT ON COLUMN {self.q(table)}.{self.q(column)} IS {sql_literal(comment)};"

    # -- keys and constraints ---------------------------------------------------------------

    def _names(self, columns: Iterable[str]) -> str:
        return ", ".join(self.q(c) for c in columns)

    def _primary_key(self, table: TableSpec, live: LiveTable) -> None:
        if table.primary_key is None or table.primary_key == live.primary_key:
            return
        obj = f"{table.name} primary key"
        found = (
            "none" if live.primary_key is None else f"PRIMARY KEY ({', '.join(live.primary_key)})"
        )
        difference = (
            f"primary_key: expected PRIMARY KEY ({', '.join(table.primary_key)}), found {found}"
        )
        missing = [c for c in table.primary_key if c not in live.columns]
        duplicates = (
            None if missing else self.probe.has_duplicates(self._at(table.name), table.primary_key)
        )
        if live.primary_key is not None or missing or duplicates:
            self.manual.append(
                Manual(
                    table.name,
                    obj,
                    difference,
                    "replace the primary key by hand",
                    "rows hold duplicate keys"
                    if duplicates
                    else "another primary key exists, or its columns do",
                    (
                        "build the new key's unique index CONCURRENTLY, then in one "
                        "transaction drop the old key and ADD PRIMARY KEY USING INDEX",
                    ),
                )
            )
            return
        t = self.q(table.name)
        index = self._new_name(f"{table.name}_pkey_index")
        constraint = self._new_name(f"{table.name}_pkey")
        self._step(
            "indexes",
            table.name,
            obj,
            difference,
            f"create the key's unique index {index}",
            "SHARE UPDATE EXCLUSIVE: reads and writes go on during the build",
            [
                f"CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS {self.q(index)} "
                f"ON {t} ({self._names(table.primary_key)});"
            ],
            [f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(index)};"],
        )
        self._step(
            "validate",
            table.name,
            obj,
            difference,
            f"add constraint: {constraint} PRIMARY KEY USING INDEX {index}",
            "ACCESS EXCLUSIVE for milliseconds: the index is already built",
            [
                f"ALTER TABLE {t} ADD CONSTRAINT {self.q(constraint)} "
                f"PRIMARY KEY USING INDEX {self.q(index)};"
            ],
            # Dropping the constraint drops its index; the index migration's rollback
            # then finds nothing to drop.
            [f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {self.q(constraint)};"],
        )

    def _fk_clause(self, fk: ForeignKeySpec | LiveForeignKey) -> str:
        text = (
            f"FOREIGN KEY ({self._names(fk.columns)}) REFERENCES {fk.references} "
            f"({self._names(fk.referenced_columns)})"
        )
        # The grammar wants MATCH before the actions and deferrability after them.
        if fk.match != "simple":
            text += f" MATCH {fk.match.upper()}"
        if fk.on_delete != "no action":
            text += f" ON DELETE {fk.on_delete.upper()}"
        if fk.on_update != "no action":
            text += f" ON UPDATE {fk.on_update.upper()}"
        if fk.deferrable:
            text += " DEFERRABLE"
        if fk.initially_deferred:
            text += " INITIALLY DEFERRED"
        return text

    def _foreign_keys(self, table: TableSpec, live: LiveTable) -> None:
        matched: set[str] = set()
        for fk in sorted(table.foreign_keys):
            obj = f"{table.name}({', '.join(fk.columns)}) foreign key"
            expected = describe_fk(fk)
            chosen = matching_fk(fk, live.foreign_keys)
            if chosen is not None:
                matched.add(chosen.name)
            if chosen is not None and _only_timing_differs(fk, chosen):
                self._alter_fk_timing(table, obj, fk, chosen)
                if not chosen.validated:
                    self._validate(table, obj, chosen.name, "foreign_key", fk=fk)
                continue
            if chosen is not None and describe_fk(chosen) == expected:
                if not chosen.validated:
                    self._validate(
                        table,
                        obj,
                        chosen.name,
                        "foreign_key",
                        fk=fk,
                        live_definition=self._fk_clause(chosen),
                    )
                continue
            if chosen is not None:
                self._drop_constraint(
                    table,
                    obj,
                    chosen.name,
                    self._fk_clause(chosen),
                    chosen.validated,
                    f"foreign_key: expected {expected}, found {describe_fk(chosen)}",
                )
            self._add_fk(table, obj, fk, expected, found="none" if chosen is None else None)
        if not table.partial:
            for extra in live.foreign_keys:
                if extra.name not in matched:
                    obj = f"{table.name}({', '.join(extra.columns)}) foreign key"
                    self._drop_constraint(
                        table,
                        obj,
                        extra.name,
                        self._fk_clause(extra),
                        extra.validated,
                        f"foreign_key: expected none, found {describe_fk(extra)}",
                    )

    def _alter_fk_timing(
        self, table: TableSpec, obj: str, fk: ForeignKeySpec, live: LiveForeignKey
    ) -> None:
        """Deferrability is the one property of a foreign key ALTER CONSTRAINT changes:
        in the catalog, without a scan or a new constraint."""
        t, n = self.q(table.name), self.q(live.name)
        self._step(
            "schema",
            table.name,
            obj,
            f"foreign_key: expected {describe_fk(fk)}, found {describe_fk(live)}",
            f"constraint: {live.name} to {_timing(fk)}",
            "ACCESS EXCLUSIVE, catalog-only (milliseconds)",
            [f"ALTER TABLE {t} ALTER CONSTRAINT {n} {_timing(fk)};"],
            [f"ALTER TABLE {t} ALTER CONSTRAINT {n} {_timing(live)};"],
            consequence=(
                "new rows are checked at commit unless SET CONSTRAINTS ... IMMEDIATE"
                if fk.initially_deferred
                else "new rows are checked at each statement unless SET CONSTRAINTS ... DEFERRED"
                if fk.deferrable
                else "new rows are checked at each statement; SET CONSTRAINTS no longer defers it"
            ),
        )

    def _add_fk(
        self, table: TableSpec, obj: str, fk: ForeignKeySpec, expected: str, found: str | None
    ) -> None:
        t = self.q(table.name)
        name = self._new_name(f"{table.name}_{'_'.join(fk.columns)}_fkey")
        self._step(
            "schema",
            table.name,
            obj,
            f"foreign_key: expected {expected}, found {found}"
            if found
            else f"foreign_key: expected {expected}",
            f"add constraint: {name} NOT VALID",
            f"SHARE ROW EXCLUSIVE on {table.name} and {fk.references}, catalog-only "
            "(milliseconds): new rows are checked from now on",
            [f"ALTER TABLE {t} ADD CONSTRAINT {self.q(name)} {self._fk_clause(fk)} NOT VALID;"],
            [f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {self.q(name)};"],
        )
        self._validate(table, obj, name, "foreign_key", fk=fk)

    def _drop_constraint(
        self,
        table: TableSpec,
        obj: str,
        name: str,
        definition: str,
        validated: bool,
        difference: str,
    ) -> None:
        t, n = self.q(table.name), self.q(name)
        back = [f"ALTER TABLE {t} ADD CONSTRAINT {n} {definition} NOT VALID;"]
        if validated:
            # A rollback is rare and deliberate: it may scan under the ADD's lock to
            # give back exactly what was there, and it refuses if rows now break it.
            back.append(f"ALTER TABLE {t} VALIDATE CONSTRAINT {n};")
        self._step(
            "schema",
            table.name,
            obj,
            difference,
            f"drop constraint: {name}",
            "ACCESS EXCLUSIVE, catalog-only (milliseconds)",
            [f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {n};"],
            back,
            consequence="rows it used to refuse are accepted",
        )

    def _checks(self, table: TableSpec, live: LiveTable) -> None:
        matched, extra = matching_checks(table, live)
        for expression in sorted(table.checks):
            obj = f"{table.name} CHECK ({expression})"
            found = matched.get(expression)
            if found is not None:
                if not found.validated:
                    self._validate(
                        table,
                        obj,
                        found.name,
                        "check",
                        expression=expression,
                        live_definition=found.definition.removesuffix(" NOT VALID"),
                    )
                continue
            name = self._new_name(f"{table.name}_check")
            t = self.q(table.name)
            self._step(
                "schema",
                table.name,
                obj,
                "check: expected present, found missing",
                f"add constraint: {name} NOT VALID",
                "ACCESS EXCLUSIVE, catalog-only (milliseconds): new rows are checked from now on",
                [f"ALTER TABLE {t} ADD CONSTRAINT {self.q(name)} CHECK ({expression}) NOT VALID;"],
                [f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {self.q(name)};"],
                consequence="inserts and updates that break it now fail",
            )
            self._validate(table, obj, name, "check", expression=expression)
        if not table.partial:
            for check in extra:
                expression = normalise_check(check.definition)
                self._drop_constraint(
                    table,
                    f"{table.name} CHECK ({expression})",
                    check.name,
                    f"CHECK ({expression})",
                    check.validated,
                    f"check: expected absent, found present (as {check.name})",
                )

    def _validate(
        self,
        table: TableSpec,
        obj: str,
        name: str,
        kind: str,
        *,
        fk: ForeignKeySpec | None = None,
        expression: str | None = None,
        live_definition: str | None = None,
    ) -> None:
        """Validate ``name`` in the validate migration, unless rows break it.

        ``live_definition``: the constraint as the database prints it, when it exists
        already; the rollback re-adds exactly that."""
        at = self._at(table.name)
        if fk is not None:
            what = f"rows whose {', '.join(fk.columns)} match no row of {fk.references}"
            if fk.match == "full" and len(fk.columns) > 1:
                what += ", or are NULL in some of them but not all (MATCH FULL)"
            definition = self._fk_clause(fk)
            if (
                fk.references in self.spec.tables
                and self.catalog.relations.get(fk.references) is None
            ):
                # The referenced table is created by this plan, empty: any key is an orphan.
                values = self.probe.values(at, fk.columns[0])
                broken = None if values is None else values > 0
            else:
                broken = self.probe.has_orphans(
                    at, fk.columns, fk.references, fk.referenced_columns
                )
            if broken is False and fk.match == "full" and len(fk.columns) > 1:
                # MATCH FULL also refuses a key NULL in some columns but not all, which
                # has_orphans (MATCH SIMPLE: any NULL passes) lets through.
                broken = self.probe.violates(
                    at, f"num_nulls({self._names(fk.columns)}) IN (0, {len(fk.columns)})"
                )
        else:
            assert expression is not None
            what = "rows that break the check"
            definition = f"CHECK ({expression})"
            broken = self.probe.violates(at, expression)
        if broken is not False:
            self.manual.append(
                Manual(
                    table.name,
                    obj,
                    f"{kind}: not validated",
                    "clean the rows, then validate",
                    f"{what} exist"
                    if broken
                    else f"whether {what} exist could not be read in time",
                    (
                        f"find and fix the {what} (the constraint already guards new rows)",
                        f"astegni-db plan   # then writes ALTER TABLE {table.name} "
                        f"VALIDATE CONSTRAINT {name}",
                    ),
                )
            )
            return
        t, n = self.q(table.name), self.q(name)
        self._step(
            "validate",
            table.name,
            obj,
            f"{kind}: not validated (NOT VALID)",
            f"validate constraint: {name}",
            "SHARE UPDATE EXCLUSIVE during the scan: reads and writes go on",
            [f"ALTER TABLE {t} VALIDATE CONSTRAINT {n};"],
            # A validated constraint cannot be marked NOT VALID again; dropping and
            # re-adding it NOT VALID is catalog-only and gives back the same schema.
            [
                f"ALTER TABLE {t} DROP CONSTRAINT IF EXISTS {n};",
                f"ALTER TABLE {t} ADD CONSTRAINT {n} {live_definition or definition} NOT VALID;",
            ],
        )

    # -- indexes ------------------------------------------------------------------------------

    def _index_name(self, table: str, index: IndexSpec) -> str:
        return self._new_name(f"{table}_{'_'.join(_index_word(c) for c in index.columns)}_idx")

    def _create_index_sql(
        self, table: str, index: IndexSpec, name: str, *, concurrently: bool
    ) -> str:
        text = "CREATE UNIQUE INDEX" if index.unique else "CREATE INDEX"
        if concurrently:
            text += " CONCURRENTLY IF NOT EXISTS"
        text += f" {self.q(name)} ON {self.q(table)}"
        if index.method != "btree":
            text += f" USING {index.method}"
        text += f" ({', '.join(index.columns)})"
        if index.include:
            text += f" INCLUDE ({self._names(index.include)})"
        if index.nulls_not_distinct:
            text += " NULLS NOT DISTINCT"
        if index.where:
            text += f" WHERE {index.where}"
        return text + ";"

    def _indexes(self, table: TableSpec, live: LiveTable) -> None:
        remaining = list(live.indexes)
        text_columns = string_columns(live)
        for index in sorted(table.indexes):
            obj = f"{table.name} index {index.describe()}"
            found = matching_index(index, remaining, text_columns=text_columns)
            if found is not None and found.valid:
                remaining.remove(found)
                continue
            forward = []
            difference = "index: expected present, found missing"
            if found is not None:
                remaining.remove(found)
                difference = f"index: expected present, found invalid ({found.name})"
                forward.append(f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(found.name)};")
            name = self._index_name(table.name, index)
            forward.append(self._create_index_sql(table.name, index, name, concurrently=True))
            self._step(
                "indexes",
                table.name,
                obj,
                difference,
                f"create index: {name}"
                + (" (after dropping the invalid one)" if found is not None else ""),
                "SHARE UPDATE EXCLUSIVE: reads and writes go on during the build",
                forward,
                [f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(name)};"],
            )
        if table.partial:
            return
        for extra in remaining:
            self._extra_index(table, extra)

    def _extra_index(self, table: TableSpec, extra: LiveIndex) -> None:
        described = index_spec_of(extra)
        obj = f"{table.name} index {described.describe()}"
        difference = f"index: expected absent, found present (as {extra.name})"
        if not self.options.drop_extra:
            self.kept.append(
                Kept(table.name, obj, difference, "left in place; --drop-extra drops it")
            )
            return
        # Rebuilt under its own name by the rollback.
        recreate = self._create_index_sql(table.name, described, extra.name, concurrently=True)
        self._step(
            "indexes",
            table.name,
            obj,
            difference,
            f"drop index: {extra.name} (--drop-extra)",
            "SHARE UPDATE EXCLUSIVE: reads and writes go on",
            [f"DROP INDEX CONCURRENTLY IF EXISTS {self.q(extra.name)};"],
            [recreate],
            consequence="queries that used it may get slower",
        )


def _timing(fk: ForeignKeySpec | LiveForeignKey) -> str:
    """Deferrability as ALTER CONSTRAINT spells it."""
    if not fk.deferrable:
        return "NOT DEFERRABLE"
    return f"DEFERRABLE INITIALLY {'DEFERRED' if fk.initially_deferred else 'IMMEDIATE'}"


def _only_timing_differs(fk: ForeignKeySpec, live: LiveForeignKey) -> bool:
    """Same key, target, actions and MATCH; another deferrability."""

    def settled(key: ForeignKeySpec | LiveForeignKey) -> tuple[object, ...]:
        return (
            key.references,
            key.referenced_columns,
            key.on_delete,
            key.on_update,
            effective_match(key),
        )

    return settled(fk) == settled(live) and describe_fk_options(fk) != describe_fk_options(live)


def _index_word(column: str) -> str:
    word = "".join(ch if ch.isalnum() or ch == "_" else "_" for ch in column.split()[0].lower())
    return word.strip("_") or "expr"


def _rows(rows: int | None) -> str:
    if rows is None:
        return "rows not counted in time"
    if rows > 100_000:
        return "more than 100000 rows"
    return f"{rows} row{'s' if rows != 1 else ''}"


def _values(values: int | None) -> str:
    if values is None:
        return "values not counted in time"
    if values > 100_000:
        return "values in more than 100000 rows"
    return f"values in {values} row{'s' if values != 1 else ''}"


def _catalog_only_type_change(old: str, new: str) -> bool:
    """The changes PostgreSQL makes without rewriting or scanning: varchar(n) to a
    longer varchar, to varchar without a length, or to text; varchar to text."""
    import re

    def varchar(text: str) -> tuple[bool, int | None]:
        match = re.fullmatch(r"character varying(?:\((\d+)\))?", text)
        if not match:
            return False, None
        return True, int(match.group(1)) if match.group(1) else None

    old_is, old_len = varchar(old)
    if not old_is:
        return False
    if new == "text":
        return True
    new_is, new_len = varchar(new)
    if not new_is:
        return False
    return new_len is None or (old_len is not None and new_len >= old_len)


def _referenced_first(tables: list[TableSpec]) -> list[TableSpec]:
    """Tables to create, each after the tables among them it references."""
    names = {t.name for t in tables}
    done: list[TableSpec] = []
    placed: set[str] = set()
    pending = list(tables)
    while pending:
        for table in pending:
            needs = {fk.references for fk in table.foreign_keys} & names - {table.name}
            if needs <= placed:
                done.append(table)
                placed.add(table.name)
                pending.remove(table)
                break
        else:  # a reference cycle: the order given
            done += pending
            break
    return done
