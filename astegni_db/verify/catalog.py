"""Read the live schema of named tables from pg_catalog, in one round trip.

The table, column, constraint and index queries go out together in one
pipeline; each resolves the spec's table names to OIDs itself (to_regclass,
on the search_path, as the application's queries do) and reads the catalogs
by those OIDs. Nothing here scales with the number of unrelated tables, needs
more than SELECT on the catalogs, or touches yoyo.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import psycopg
from psycopg.rows import dict_row

from astegni_db import sqlfiles
from astegni_db.db import lock_wait_error

# pg_constraint.confdeltype letters.
_ACTIONS = {"a": "no action", "r": "restrict", "c": "cascade", "n": "set null", "d": "set default"}
# pg_constraint.confmatchtype letters ('p', MATCH PARTIAL, is not implemented by PostgreSQL).
_MATCH_TYPES = {"s": "simple", "f": "full", "p": "partial"}
_RELATION_KINDS = {
    "r": "table",
    "p": "partitioned table",
    "v": "view",
    "m": "materialized view",
    "f": "foreign table",
    "S": "sequence",
    "i": "index",
    "I": "partitioned index",
    "c": "composite type",
    "t": "TOAST table",
}
TABLE_KINDS = frozenset({"r", "p"})

# The rows read are NamedTuples, not dataclasses: a frozen dataclass costs about
# half a millisecond to define, paid by every `astegni-db verify` at start-up.


class LiveColumn(NamedTuple):
    name: str
    type: str
    nullable: bool
    default: str | None
    identity: str  # '' | 'a' (ALWAYS) | 'd' (BY DEFAULT)
    generated: str  # '' | 's' (STORED)
    comment: str | None
    owned_sequence: str | None
    # Only when not the type's default; spelled as SQL names it (quote_ident).
    collation: str | None = None

    @property
    def serial(self) -> bool:
        return (
            self.owned_sequence is not None
            and self.default == f"nextval('{self.owned_sequence}'::regclass)"
        )

    def describe_default(self) -> str:
        if self.identity:
            return f"GENERATED {'ALWAYS' if self.identity == 'a' else 'BY DEFAULT'} AS IDENTITY"
        if self.generated:
            return f"GENERATED ALWAYS AS ({self.default}) STORED"
        if self.serial:
            return "serial"
        return "no default" if self.default is None else self.default


class LiveForeignKey(NamedTuple):
    name: str
    columns: tuple[str, ...]
    references: str
    referenced_columns: tuple[str, ...]
    on_delete: str
    on_update: str
    validated: bool
    deferrable: bool = False
    initially_deferred: bool = False
    match: str = "simple"


class LiveCheck(NamedTuple):
    name: str
    definition: str  # pg_get_constraintdef(oid, true), e.g. "CHECK (status::text = ...)"
    validated: bool


class IndexKey(NamedTuple):
    """One key column of an index, in the parts pg_get_indexdef prints."""

    expr: str  # a quoted column name, or an expression as pg_get_indexdef prints it
    collation: str | None  # None: the key's type is not collatable
    collation_shown: bool  # not the column's (or an expression's default) collation
    opclass: str
    opclass_shown: bool  # not the default operator class of its type
    order: str  # "", " DESC", " NULLS FIRST", " DESC NULLS LAST"

    def spelled(self, *, collation: bool = False, opclass: bool = False) -> str:
        """The key as pg_get_indexdef prints it; ``collation`` / ``opclass``: spell that
        part out even when it is the default."""
        text = self.expr
        if self.collation is not None and (collation or self.collation_shown):
            text += f" COLLATE {self.collation}"
        if opclass or self.opclass_shown:
            text += f" {self.opclass}"
        return text + self.order

    def spellings(self) -> tuple[str, ...]:
        """Every spelling that names this key: the printed one first, then with the
        default collation or operator class written out."""
        found = [self.spelled()]
        for collation, opclass in ((False, True), (True, False), (True, True)):
            text = self.spelled(collation=collation, opclass=opclass)
            if text not in found:
                found.append(text)
        return tuple(found)


class LiveIndex(NamedTuple):
    name: str
    method: str
    columns: tuple[str, ...]  # each key as pg_get_indexdef prints it
    include: tuple[str, ...]
    where: str | None
    unique: bool
    valid: bool
    nulls_not_distinct: bool = False
    keys: tuple[IndexKey, ...] = ()  # the parts of ``columns``, when read from a catalog

    def key_spellings(self) -> tuple[tuple[str, ...], ...]:
        """Per key, every spelling that names it (see IndexKey.spellings)."""
        if len(self.keys) != len(self.columns):
            return tuple((column,) for column in self.columns)
        return tuple(key.spellings() for key in self.keys)


@dataclass
class LiveTable:
    name: str
    oid: int
    kind: str  # pg_class.relkind
    comment: str | None = None
    columns: dict[str, LiveColumn] = field(default_factory=dict)
    primary_key: tuple[str, ...] | None = None
    foreign_keys: list[LiveForeignKey] = field(default_factory=list)
    checks: list[LiveCheck] = field(default_factory=list)
    indexes: list[LiveIndex] = field(default_factory=list)

    @property
    def kind_name(self) -> str:
        return _RELATION_KINDS.get(self.kind, f"relation of kind {self.kind!r}")

    @property
    def is_table(self) -> bool:
        return self.kind in TABLE_KINDS


class Catalog(NamedTuple):
    """The relations found under the names asked for; a missing name maps to None."""

    relations: Mapping[str, LiveTable | None]


def read_catalog(conn: psycopg.Connection[Any], names: Iterable[str]) -> Catalog:
    params = {"names": sorted(set(names))}
    cursors = [conn.cursor(row_factory=dict_row) for _ in _QUERIES]
    # One pipeline: the four statements and a single Sync go out together and
    # the client waits once for all four results.
    try:
        with conn.pipeline():
            for cur, query in zip(cursors, _QUERIES, strict=True):
                cur.execute(sqlfiles.load(query), params)
    except psycopg.errors.LockNotAvailable:
        # pg_get_constraintdef and pg_get_indexdef open the table itself: a CHECK
        # or an index makes this catalog read wait behind an ACCESS EXCLUSIVE lock.
        raise lock_wait_error(
            conn, "could not read the definitions of the spec's tables", relations=params["names"]
        ) from None
    table_rows, column_rows, constraint_rows, index_rows = (cur.fetchall() for cur in cursors)
    for cur in cursors:
        cur.close()
    relations: dict[str, LiveTable | None] = {
        row["name"]: None
        if row["table_oid"] is None
        else LiveTable(
            name=row["name"], oid=row["table_oid"], kind=row["kind"], comment=row["comment"]
        )
        for row in table_rows
    }
    # Views and other relations under a spec table's name are reported by kind;
    # only tables are described further.
    by_oid = {table.oid: table for table in relations.values() if table and table.is_table}
    _fill_tables(by_oid, column_rows, constraint_rows, index_rows)
    return Catalog(relations=relations)


_QUERIES = ("tables", "columns", "constraints", "indexes")
Rows = list[dict[str, Any]]


def _fill_tables(
    by_oid: dict[int, LiveTable], column_rows: Rows, constraint_rows: Rows, index_rows: Rows
) -> None:
    column_rows = [row for row in column_rows if row["table_oid"] in by_oid]
    constraint_rows = [row for row in constraint_rows if row["table_oid"] in by_oid]
    index_rows = [row for row in index_rows if row["table_oid"] in by_oid]
    for row in column_rows:
        by_oid[row["table_oid"]].columns[row["name"]] = LiveColumn(
            name=row["name"],
            type=row["type"],
            nullable=row["nullable"],
            default=row["default_expr"],
            identity=row["identity"],
            generated=row["generated"],
            comment=row["comment"],
            owned_sequence=row["owned_sequence"],
            collation=row["collation"],
        )
    for row in constraint_rows:
        table = by_oid[row["table_oid"]]
        if row["kind"] == "p":
            table.primary_key = tuple(row["columns"])
        elif row["kind"] == "f":
            table.foreign_keys.append(
                LiveForeignKey(
                    name=row["name"],
                    columns=tuple(row["columns"]),
                    references=row["referenced_table"],
                    referenced_columns=tuple(row["referenced_columns"]),
                    on_delete=_ACTIONS[row["on_delete"]],
                    on_update=_ACTIONS[row["on_update"]],
                    validated=row["validated"],
                    deferrable=row["deferrable"],
                    initially_deferred=row["initially_deferred"],
                    match=_MATCH_TYPES[row["match_type"]],
                )
            )
        else:
            table.checks.append(
                LiveCheck(
                    name=row["name"],
                    definition=row["definition"],
                    validated=row["validated"],
                )
            )
    for row in index_rows:
        keys = tuple(IndexKey(**key) for key in row["keys"] or ())
        by_oid[row["table_oid"]].indexes.append(
            LiveIndex(
                name=row["name"],
                method=row["method"],
                columns=tuple(key.spelled() for key in keys),
                include=tuple(row["include"]),
                where=row["predicate"],
                unique=row["is_unique"],
                valid=row["is_valid"],
                nulls_not_distinct=row["nulls_not_distinct"],
                keys=keys,
            )
        )
