"""What a migrate changed about how the spec's tables behave, and what that means.

Two catalogs of the same tables, read before the first migration and after
the last one (under the migration lock), go in; one ``Change`` per difference
an application or operator can notice comes out, each with its consequence
in words: a dropped default means rows inserted without that column now get
NULL, a new NOT NULL means inserts of NULL now fail. Migrations that converge
legacy databases change different things on each one, so the operator is told
what changed on *this* database rather than what the files say in general.

Pure functions over two ``Catalog``s: no database, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import NamedTuple

from astegni_db.verify.catalog import (
    Catalog,
    LiveCheck,
    LiveColumn,
    LiveForeignKey,
    LiveIndex,
    LiveTable,
)
from astegni_db.verify.compare import describe_fk_options


class Change(NamedTuple):
    table: str
    column: str | None  # None: the table itself, or one of its constraints or indexes
    change: str  # what changed, e.g. "dropped legacy default 'one-time'::character varying"
    before: str | None  # None: did not exist
    after: str | None
    consequence: str  # what behaves differently now

    @property
    def subject(self) -> str:
        return self.table if self.column is None else f"{self.table}.{self.column}"

    def describe(self) -> str:
        return f"{self.subject}: {self.change}: {self.consequence}"


def describe_changes(before: Catalog, after: Catalog) -> list[Change]:
    """Every behaviour-relevant difference, table by table in name order."""
    changes: list[Change] = []
    for name in sorted(set(before.relations) | set(after.relations)):
        changes += _table_changes(name, before.relations.get(name), after.relations.get(name))
    return changes


def _table_changes(name: str, old: LiveTable | None, new: LiveTable | None) -> list[Change]:
    if old is None and new is None:
        return []
    if old is None:
        assert new is not None
        # Its columns, keys and indexes are part of the creation, not news of their own.
        return [
            Change(
                name,
                None,
                f"{new.kind_name} created ({_count(len(new.columns), 'column')})",
                None,
                new.kind_name,
                "queries naming it now work instead of failing (relation does not exist)",
            )
        ]
    if new is None:
        return [
            Change(
                name,
                None,
                f"{old.kind_name} dropped",
                old.kind_name,
                None,
                "its rows are gone; queries naming it now fail (relation does not exist)",
            )
        ]
    if old.kind != new.kind or not (old.is_table and new.is_table):
        if old.kind == new.kind:
            return []  # a view stays a view: its definition is not read
        return [
            Change(
                name,
                None,
                f"is now a {new.kind_name} (was a {old.kind_name})",
                old.kind_name,
                new.kind_name,
                "what queries and writes on it can do follows the new kind",
            )
        ]
    return [
        *_column_changes(name, old, new),
        *_key_changes(name, old.primary_key, new.primary_key),
        *_check_changes(name, old.checks, new.checks),
        *_foreign_key_changes(name, old.foreign_keys, new.foreign_keys),
        *_index_changes(name, old.indexes, new.indexes),
    ]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


# --- columns ------------------------------------------------------------------------------


def _column_changes(table: str, old: LiveTable, new: LiveTable) -> Iterator[Change]:
    for name, col in new.columns.items():
        was = old.columns.get(name)
        if was is None:
            yield _column_added(table, col)
        else:
            yield from _column_changed(table, was, col)
    for name, was in old.columns.items():
        if name not in new.columns:
            yield Change(
                table,
                name,
                "column dropped",
                _column_shape(was),
                None,
                "its values are gone; queries and writes naming it now fail",
            )


def _column_shape(col: LiveColumn) -> str:
    nullable = "nullable" if col.nullable else "NOT NULL"
    return f"{col.type}, {nullable}, {_default_text(col)}"


def _default_text(col: LiveColumn) -> str:
    described = col.describe_default()
    return described if described == "no default" else f"default {described}"


def _omitted(col: LiveColumn) -> str:
    """What a row inserted without this column gets."""
    if col.identity or col.serial:
        return "the next sequence value"
    if col.generated:
        return "the generated value"
    if col.default is not None:
        return col.default
    return "NULL" if col.nullable else "an error (NOT NULL, no default)"


def _column_added(table: str, col: LiveColumn) -> Change:
    if col.default is None and not col.identity:
        consequence = (
            "existing rows read NULL; rows inserted without it get NULL"
            if col.nullable
            else "inserts without this column now fail (NOT NULL, no default)"
        )
    else:
        value = _omitted(col)
        consequence = f"existing rows and rows inserted without it get {value}"
    return Change(
        table,
        col.name,
        f"column added ({_column_shape(col)})",
        None,
        _column_shape(col),
        consequence,
    )


def _column_changed(table: str, was: LiveColumn, col: LiveColumn) -> Iterator[Change]:
    name = col.name
    if was.type != col.type:
        yield Change(
            table,
            name,
            f"type changed to {col.type} (was {was.type})",
            was.type,
            col.type,
            f"values are now stored and returned as {col.type}",
        )
    if _default_key(was) != _default_key(col):
        yield _default_changed(table, was, col)
    if was.nullable and not col.nullable:
        also = (
            "" if col.default is not None or col.identity else ", as do inserts without this column"
        )
        yield Change(
            table, name, "now NOT NULL", "nullable", "NOT NULL", f"inserts of NULL now fail{also}"
        )
    elif not was.nullable and col.nullable:
        yield Change(
            table, name, "NOT NULL dropped", "NOT NULL", "nullable", "NULL is now accepted"
        )
    if was.collation != col.collation:
        yield Change(
            table,
            name,
            f"collation changed to {col.collation or 'default'} (was {was.collation or 'default'})",
            was.collation,
            col.collation,
            "comparisons, ORDER BY and its indexes now follow the new collation",
        )
    if was.comment != col.comment:
        what = (
            "comment added"
            if was.comment is None
            else "comment removed"
            if col.comment is None
            else "comment rewritten"
        )
        yield Change(
            table,
            name,
            what,
            was.comment,
            col.comment,
            "documentation only: reads and writes behave as before",
        )


def _default_key(col: LiveColumn) -> tuple[str | None, str, str]:
    return (col.default, col.identity, col.generated)


def _default_changed(table: str, was: LiveColumn, col: LiveColumn) -> Change:
    before, after = _omitted(was), _omitted(col)
    old_text, new_text = was.describe_default(), col.describe_default()
    if was.default is not None and col.default is None and not col.identity:
        # The convergence case: a default a legacy script set, which the spec does not have.
        change = f"dropped legacy default {old_text}"
        consequence = f"rows inserted without this column now get {after}"
    elif (was.default is None and not was.identity) and col.default is not None:
        change = f"default set to {new_text} (was none)"
        consequence = f"rows inserted without this column now get {after} instead of {before}"
    else:
        change = f"default changed to {new_text} (was {old_text})"
        consequence = f"rows inserted without this column now get {after} instead of {before}"
    return Change(
        table,
        col.name,
        change,
        None if was.default is None and not was.identity else old_text,
        None if col.default is None and not col.identity else new_text,
        consequence,
    )


# --- keys, checks, foreign keys, indexes ---------------------------------------------------


def _columns(columns: tuple[str, ...]) -> str:
    return "(" + ", ".join(columns) + ")"


def _key_changes(
    table: str, old: tuple[str, ...] | None, new: tuple[str, ...] | None
) -> Iterator[Change]:
    if old == new:
        return
    before = None if old is None else _columns(old)
    after = None if new is None else _columns(new)
    if new is None:
        yield Change(
            table,
            None,
            f"primary key {before} dropped",
            before,
            None,
            "duplicate rows are now accepted",
        )
    elif old is None:
        yield Change(
            table,
            None,
            f"primary key {after} added",
            None,
            after,
            f"duplicate or NULL values of {after} now fail",
        )
    else:
        yield Change(
            table,
            None,
            f"primary key is now {after} (was {before})",
            before,
            after,
            f"rows are now identified by {after}: duplicates of it now fail",
        )


def _check_changes(table: str, old: list[LiveCheck], new: list[LiveCheck]) -> Iterator[Change]:
    was = {c.name: c for c in old}
    now = {c.name: c for c in new}
    for name, check in now.items():
        prior = was.get(name)
        unchecked = "" if check.validated else "; existing rows were not checked (NOT VALID)"
        if prior is None:
            yield Change(
                table,
                None,
                f"check {name} added: {check.definition}",
                None,
                check.definition,
                f"inserts and updates that break it now fail{unchecked}",
            )
        elif prior.definition != check.definition:
            yield Change(
                table,
                None,
                f"check {name} changed to {check.definition} (was {prior.definition})",
                prior.definition,
                check.definition,
                f"inserts and updates are now held to the new condition{unchecked}",
            )
        elif check.validated and not prior.validated:
            yield Change(
                table,
                None,
                f"check {name} validated",
                "NOT VALID",
                "valid",
                "every existing row is now known to satisfy it",
            )
    for name, check in was.items():
        if name not in now:
            yield Change(
                table,
                None,
                f"check {name} dropped: {check.definition}",
                check.definition,
                None,
                "values it rejected are now accepted",
            )


def _describe_fk(fk: LiveForeignKey) -> str:
    text = (
        f"{_columns(fk.columns)} -> {fk.references}{_columns(fk.referenced_columns)}"
        f" ON DELETE {fk.on_delete} ON UPDATE {fk.on_update}"
    )
    return text + describe_fk_options(fk)


def _changed_fk_consequence(was: LiveForeignKey, fk: LiveForeignKey) -> str:
    same_key = (was.columns, was.references, was.referenced_columns) == (
        fk.columns,
        fk.references,
        fk.referenced_columns,
    )
    same_actions = (was.on_delete, was.on_update) == (fk.on_delete, fk.on_update)
    timing = (was.deferrable, was.initially_deferred) != (fk.deferrable, fk.initially_deferred)
    if not (same_key and same_actions) or not (timing or was.match != fk.match):
        return (
            f"deleting a referenced row of {fk.references} now {_on_delete(fk)}"
            f" (ON UPDATE {fk.on_update})"
        )
    if was.match != fk.match:
        return f"a {_columns(fk.columns)} NULL in some columns but not all is now " + (
            "refused (MATCH FULL)" if fk.match == "full" else "accepted unchecked"
        )
    if fk.initially_deferred:
        return "writes are now checked at commit, not at each statement"
    if fk.deferrable:
        return "writes are checked at each statement unless SET CONSTRAINTS defers them"
    return "writes are checked at each statement; SET CONSTRAINTS no longer defers it"


def _on_delete(fk: LiveForeignKey) -> str:
    return {
        "cascade": "deletes these rows too",
        "set null": f"sets {_columns(fk.columns)} to NULL",
        "set default": f"sets {_columns(fk.columns)} to its default",
    }.get(fk.on_delete, "fails while rows point at it")


def _foreign_key_changes(
    table: str, old: list[LiveForeignKey], new: list[LiveForeignKey]
) -> Iterator[Change]:
    was = {fk.name: fk for fk in old}
    now = {fk.name: fk for fk in new}
    for name, fk in now.items():
        prior = was.get(name)
        text = _describe_fk(fk)
        if prior is None:
            unchecked = "" if fk.validated else "; existing rows were not checked (NOT VALID)"
            yield Change(
                table,
                None,
                f"foreign key {name} added: {text}",
                None,
                text,
                f"writes of {_columns(fk.columns)} must now match a row of {fk.references}; "
                f"deleting that row {_on_delete(fk)}{unchecked}",
            )
        elif _describe_fk(prior) != text:
            yield Change(
                table,
                None,
                f"foreign key {name} changed to {text} (was {_describe_fk(prior)})",
                _describe_fk(prior),
                text,
                _changed_fk_consequence(prior, fk),
            )
        elif fk.validated and not prior.validated:
            yield Change(
                table,
                None,
                f"foreign key {name} validated",
                "NOT VALID",
                "valid",
                "every existing row is now known to match",
            )
    for name, fk in was.items():
        if name not in now:
            yield Change(
                table,
                None,
                f"foreign key {name} dropped: {_describe_fk(fk)}",
                _describe_fk(fk),
                None,
                f"values of {_columns(fk.columns)} are no longer checked against {fk.references}",
            )


def _describe_index(index: LiveIndex) -> str:
    unique = "UNIQUE " if index.unique else ""
    include = f" INCLUDE {_columns(index.include)}" if index.include else ""
    nulls = " NULLS NOT DISTINCT" if index.nulls_not_distinct else ""
    where = f" WHERE {index.where}" if index.where else ""
    return f"{unique}{index.method} {_columns(index.columns)}{include}{nulls}{where}"


def _index_changes(table: str, old: list[LiveIndex], new: list[LiveIndex]) -> Iterator[Change]:
    was = {i.name: i for i in old}
    now = {i.name: i for i in new}
    for name, index in now.items():
        prior = was.get(name)
        text = _describe_index(index)
        if prior is None:
            yield Change(
                table,
                None,
                f"index {name} added: {text}",
                None,
                text,
                _index_added_consequence(index),
            )
        elif _describe_index(prior) != text:
            yield Change(
                table,
                None,
                f"index {name} changed to {text} (was {_describe_index(prior)})",
                _describe_index(prior),
                text,
                _index_added_consequence(index),
            )
        elif index.valid != prior.valid:
            yield Change(
                table,
                None,
                f"index {name} is now {'valid' if index.valid else 'INVALID'}",
                "valid" if prior.valid else "INVALID",
                "valid" if index.valid else "INVALID",
                "queries can now use it"
                if index.valid
                else "queries no longer use it, though writes still maintain it",
            )
    for name, index in was.items():
        if name not in now:
            yield Change(
                table,
                None,
                f"index {name} dropped: {_describe_index(index)}",
                _describe_index(index),
                None,
                f"duplicate values of {_columns(index.columns)} are now accepted"
                if index.unique
                else "queries that used it now take another plan (possibly a scan)",
            )


def _index_added_consequence(index: LiveIndex) -> str:
    if not index.valid:
        return "INVALID: queries do not use it, writes maintain it"
    if index.unique:
        return f"duplicate values of {_columns(index.columns)} now fail"
    return "queries can use it; every write also maintains it"
