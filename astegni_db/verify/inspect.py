"""`inspect`: the live schema of the spec's tables, written in the spec's own TOML format.

On a correctly migrated database the output describes the same tables as
checks/schema.toml, so `diff` between the two shows drift, and a new spec
can start from a real database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from astegni_db import db
from astegni_db.errors import ExitCode
from astegni_db.project.spec import (
    SPEC_FORMAT,
    ColumnSpec,
    ForeignKeySpec,
    IndexSpec,
    Spec,
    TableSpec,
    collation_parts,
    load_spec,
    normalise_check,
)
from astegni_db.settings import DatabaseTarget
from astegni_db.verify.catalog import Catalog, LiveColumn, LiveTable, read_catalog
from astegni_db.verify.compare import index_spec_of, matching_index, string_columns

if TYPE_CHECKING:
    from astegni_db.output import Ui


@dataclass(frozen=True)
class InspectReport:
    command: ClassVar[str] = "inspect"

    toml: str  # the live schema, in the spec's format
    exit_code: ExitCode = ExitCode.OK

    def json_body(self) -> dict[str, Any]:
        return {"spec": self.toml}

    def write_text(self, ui: Ui) -> None:
        ui.write(self.toml)


def inspect(
    target: DatabaseTarget, spec_path: Path, *, lock_timeout_s: float | None = None
) -> InspectReport:
    """The live schema; catalog reads only, and no lock wait longer than ``lock_timeout_s``
    (None: settings.DEFAULT_LOCK_TIMEOUT_S)."""
    spec = load_spec(spec_path)
    with db.bounded_read_only_session(
        target, purpose="inspect", doing="inspecting", lock_timeout_s=lock_timeout_s
    ) as conn:
        catalog = read_catalog(conn, [*spec.tables, *spec.unexpected_tables])
    described, notes = live_spec(spec, catalog)
    header = [
        f"Live schema of the tables in {spec_path}, written by `astegni-db inspect`.",
        "allowed_values are copied from the spec: they are documentation, not schema.",
        *notes,
    ]
    return InspectReport(spec_to_toml(described, header=header))


def live_spec(spec: Spec, catalog: Catalog) -> tuple[Spec, list[str]]:
    """The spec the live database would have, and notes about what could not be described."""
    tables: dict[str, TableSpec] = {}
    notes: list[str] = []
    for table in spec.tables.values():
        live = catalog.relations.get(table.name)
        if live is None:
            notes.append(f"table {table.name}: not found")
        elif not live.is_table:
            notes.append(f"table {table.name}: found a {live.kind_name}, not a table")
        else:
            tables[table.name] = _live_table(table, live)
    unexpected = []
    for name in spec.unexpected_tables:
        if catalog.relations.get(name) is None:
            unexpected.append(name)
        else:
            notes.append(f"unexpected table {name}: present")
    # Value sets are documentation carried over from the spec, for what exists.
    allowed_values = {
        table: {column: values for column, values in columns.items() if column in found.columns}
        for table, columns in spec.allowed_values.items()
        if (found := tables.get(table)) is not None
    }
    return Spec(
        tables=tables,
        unexpected_tables=tuple(unexpected),
        allowed_values={table: columns for table, columns in allowed_values.items() if columns},
    ), notes


def _live_table(table: TableSpec, live: LiveTable) -> TableSpec:
    # A partial table is described only as far as the spec describes it.
    def wanted(present: bool) -> bool:
        return not table.partial or present

    columns = {
        name: _column_spec(column)
        for name, column in live.columns.items()
        if wanted(name in table.columns)
    }
    foreign_keys = frozenset(
        ForeignKeySpec(
            columns=fk.columns,
            references=fk.references,
            referenced_columns=fk.referenced_columns,
            on_delete=fk.on_delete,
            on_update=fk.on_update,
            deferrable=fk.deferrable,
            initially_deferred=fk.initially_deferred,
            match=fk.match,
        )
        for fk in live.foreign_keys
        if wanted(any(spec_fk.columns == fk.columns for spec_fk in table.foreign_keys))
    )
    checks = frozenset(
        expression
        for expression in (normalise_check(check.definition) for check in live.checks)
        if wanted(expression in table.checks)
    )
    text_columns = string_columns(live)
    indexes = frozenset(
        index_spec_of(found)
        for found in live.indexes
        if wanted(
            any(
                matching_index(listed, [found], text_columns=text_columns) is not None
                for listed in table.indexes
            )
        )
    )
    primary_key = live.primary_key if wanted(table.primary_key is not None) else None
    return TableSpec(
        name=table.name,
        partial=table.partial,
        columns=columns,
        primary_key=primary_key,
        foreign_keys=foreign_keys,
        checks=checks,
        indexes=indexes,
        comment=live.comment if wanted(table.comment is not None) else None,
    )


def _column_spec(column: LiveColumn) -> ColumnSpec:
    plain = not (column.serial or column.identity or column.generated)
    return ColumnSpec(
        name=column.name,
        type=column.type,
        nullable=column.nullable,
        default=column.default if plain else None,
        serial=column.serial,
        comment=column.comment,
        collation=column.collation,
        identity={"a": "always", "d": "by default"}.get(column.identity),
        generated=column.default if column.generated else None,
    )


def spec_to_toml(spec: Spec, *, header: Iterable[str] = ()) -> str:
    lines = [f"# {line}" if line else "#" for line in header]
    lines += [f"format = {SPEC_FORMAT}", ""]
    if spec.unexpected_tables:
        lines += [f"unexpected_tables = {_strings(spec.unexpected_tables)}", ""]
    for table in spec.tables.values():
        lines += _table_lines(table)
    for table_name, columns in spec.allowed_values.items():
        lines.append(f"[allowed_values.{_key(table_name)}]")
        lines += [f"{_key(column)} = {_strings(values)}" for column, values in columns.items()]
        lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def _table_lines(table: TableSpec) -> list[str]:
    lines = [f"[tables.{_key(table.name)}]"]
    if table.partial:
        lines.append("partial = true")
    if table.comment is not None:
        lines.append(f"comment = {_string(table.comment)}")
    if table.primary_key is not None:
        lines.append(f"primary_key = {_strings(table.primary_key)}")
    if not table.partial or table.foreign_keys:
        lines += _inline_list("foreign_keys", [_fk_inline(fk) for fk in sorted(table.foreign_keys)])
    if not table.partial or table.checks:
        lines += _inline_list("checks", [_string(check) for check in sorted(table.checks)])
    if not table.partial or table.indexes:
        lines += _inline_list("indexes", [_index_inline(ix) for ix in sorted(table.indexes)])
    lines.append("")
    if table.columns:
        lines.append(f"[tables.{_key(table.name)}.columns]")
        lines += [f"{_key(c.name)} = {_column_inline(c)}" for c in table.columns.values()]
        lines.append("")
    return lines


def _inline_list(key: str, items: list[str]) -> list[str]:
    if not items:
        return [f"{key} = []"]
    return [f"{key} = [", *(f"    {item}," for item in items), "]"]


def _column_inline(column: ColumnSpec) -> str:
    fields = [f"type = {_string(column.type)}", f"nullable = {_bool(column.nullable)}"]
    if column.collation is not None:
        fields.append(f"collation = {_string(_collation_name(column.collation))}")
    if column.serial:
        fields.append("serial = true")
    if column.identity is not None:
        fields.append(f"identity = {_string(column.identity)}")
    if column.generated is not None:
        fields.append(f"generated = {_string(column.generated)}")
    if column.default is not None:
        fields.append(f"default = {_string(column.default)}")
    if column.comment is not None:
        fields.append(f"comment = {_string(column.comment)}")
    return "{ " + ", ".join(fields) + " }"


def _collation_name(spelling: str) -> str:
    """``C`` rather than ``"C"``: the spec reads a name without dots as written."""
    parts = collation_parts(spelling)
    if parts is not None and len(parts) == 1 and not set(parts[0]) & {".", '"'}:
        return parts[0]
    return spelling


def _fk_inline(fk: ForeignKeySpec) -> str:
    fields = [
        f"columns = {_strings(fk.columns)}",
        f"references = {_string(fk.references)}",
        f"referenced_columns = {_strings(fk.referenced_columns)}",
        f"on_delete = {_string(fk.on_delete)}",
    ]
    if fk.on_update != "no action":
        fields.append(f"on_update = {_string(fk.on_update)}")
    if fk.match != "simple":
        fields.append(f"match = {_string(fk.match)}")
    if fk.deferrable:
        fields.append("deferrable = true")
    if fk.initially_deferred:
        fields.append("initially_deferred = true")
    return "{ " + ", ".join(fields) + " }"


def _index_inline(index: IndexSpec) -> str:
    fields = [f"columns = {_strings(index.columns)}"]
    if index.unique:
        fields.append("unique = true")
    if index.method != "btree":
        fields.append(f"method = {_string(index.method)}")
    if index.include:
        fields.append(f"include = {_strings(index.include)}")
    if index.nulls_not_distinct:
        fields.append("nulls_not_distinct = true")
    if index.where is not None:
        fields.append(f"where = {_string(index.where)}")
    return "{ " + ", ".join(fields) + " }"


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else _string(name)


def _string(value: str) -> str:
    # JSON string escapes are a subset of TOML basic-string escapes.
    # TOML also forbids a raw DEL, which JSON leaves alone.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _strings(values: Iterable[str]) -> str:
    return "[" + ", ".join(_string(value) for value in values) + "]"


def _bool(value: bool) -> str:
    return "true" if value else "false"
