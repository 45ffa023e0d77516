"""What the application reads, from checks/: the tables and columns a migration
must not rename or drop while the application still uses them.

The spec (checks/schema.toml, read by the same reader verify uses) lists
tables and columns. The queries (checks/queries/*.sql) are parsed with
PostgreSQL's grammar (astegni_db/sqlgrammar.py):

- a table is read when a query names it as a relation (FROM, JOIN, a
  subquery's FROM, the target of INSERT / UPDATE / DELETE / MERGE, USING);
  a name a WITH clause defines is the CTE, not a table, and a FOR UPDATE OF
  list names aliases, not tables;
- a column is read when a column reference names it, resolved to the
  table its qualifier (an alias or a table name) stands for; INSERT column
  lists, UPDATE / ON CONFLICT SET targets, ON CONFLICT (...) and JOIN USING
  (...) name columns too;
- an unqualified column is read from every table of its query level and of
  the enclosing levels (a correlated subquery may mean an outer table's
  column): without the catalog the lint cannot tell which table holds it;
- ``*`` / ``t.*``, a whole-row reference (``SELECT t FROM t``) and NATURAL
  JOIN read every column of the tables concerned.

Reading too much only means a rename or drop needs an explicit silencing
comment; reading too little would let one through, so every guess above errs
towards reading more. Tables are keyed by their name without the schema, as
the rules name them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from astegni_db.errors import ConfigError
from astegni_db.project.queries import load_queries
from astegni_db.project.spec import load_spec
from astegni_db.sqlgrammar import SqlSyntaxError, parse_statements


@dataclass
class ReadSet:
    tables: dict[str, str] = field(default_factory=dict)  # table -> where it is read
    columns: dict[tuple[str, str], str] = field(default_factory=dict)
    every_column: dict[str, str] = field(default_factory=dict)  # SELECT * on these tables

    def table_reader(self, table: str) -> str | None:
        return self.tables.get(table)

    def column_reader(self, table: str, column: str) -> str | None:
        return self.columns.get((table, column)) or self.every_column.get(table)

    def add_table(self, table: str, where: str) -> None:
        self.tables.setdefault(table, where)

    def add_column(self, table: str, column: str, where: str) -> None:
        self.add_table(table, where)
        self.columns.setdefault((table, column), where)

    def add_every_column(self, table: str, where: str) -> None:
        self.add_table(table, where)
        self.every_column.setdefault(table, where)


def load_read_set(spec_path: Path | None, queries_dir: Path | None) -> ReadSet:
    found = ReadSet()
    # Queries first: a finding then names the query that reads the object.
    if queries_dir is not None:
        for query in load_queries(queries_dir):
            read_query(found, query.with_numbered_parameters(), str(query.path))
    if spec_path is not None:
        _from_spec(found, spec_path)
    return found


def read_query(found: ReadSet, text: str, where: str) -> None:
    """Add what the SQL ``text`` (read from ``where``) reads to ``found``."""
    try:
        statements = parse_statements(text)
    except SqlSyntaxError as exc:
        # verify's PREPARE would refuse it too; say so before any rule trusts the set.
        raise ConfigError(f"{where}:{exc.line}: {exc}") from None
    reader = _QueryReader(found, where)
    for statement in statements:
        reader.statement(statement.node, None)


def _from_spec(found: ReadSet, spec_path: Path) -> None:
    where = str(spec_path)
    for table in load_spec(spec_path).tables.values():
        found.add_table(table.name, where)
        for column in [*table.columns, *(table.primary_key or ())]:
            found.add_column(table.name, column, where)
        for fk in table.foreign_keys:
            for column in fk.columns:
                found.add_column(table.name, column, where)
            for column in fk.referenced_columns:
                found.add_column(fk.references, column, where)


@dataclass
class _Source:
    """Something a query level reads rows from, under the name the query uses for it."""

    name: str | None  # the alias, else the relation's name; None: not nameable
    tables: frozenset[str]  # the real tables behind it (none for a CTE or a subquery)


@dataclass
class _Level:
    """One query level: its FROM sources and the CTE names it can see."""

    parent: _Level | None
    sources: list[_Source] = field(default_factory=list)
    ctes: frozenset[str] = frozenset()

    def chain(self) -> Iterator[_Level]:
        level: _Level | None = self
        while level is not None:
            yield level
            level = level.parent

    def is_cte(self, name: str) -> bool:
        return any(name in level.ctes for level in self.chain())

    def tables(self) -> frozenset[str]:
        return frozenset().union(*(s.tables for s in self.sources))

    def visible_tables(self) -> frozenset[str]:
        return frozenset().union(*(level.tables() for level in self.chain()))

    def lookup(self, name: str) -> _Source | None:
        """The source a qualifier names, innermost level first."""
        for level in self.chain():
            for source in level.sources:
                if source.name == name:
                    return source
        return None


class _QueryReader:
    """Walks one parsed statement, adding the relations and columns it reads."""

    def __init__(self, found: ReadSet, where: str) -> None:
        self.found = found
        self.where = where

    # Statements: each opens a query level.

    def statement(self, node: Any, parent: _Level | None) -> None:
        from pglast import ast

        if isinstance(node, ast.SelectStmt):
            self._select(node, parent)
        elif isinstance(node, ast.InsertStmt):
            self._insert(node, parent)
        elif isinstance(node, ast.UpdateStmt):
            self._update(node, parent)
        elif isinstance(node, ast.DeleteStmt):
            self._delete(node, parent)
        elif isinstance(node, ast.MergeStmt):
            self._merge(node, parent)
        else:  # EXPLAIN, DECLARE CURSOR ...: whatever queries they hold
            self.expression(node, _Level(parent))

    def _with(self, with_clause: Any, parent: _Level | None) -> _Level:
        """The level a WITH clause's statement runs in (its CTE bodies read first)."""
        if with_clause is None:
            return _Level(parent)
        names = [cte.ctename for cte in with_clause.ctes]
        for i, cte in enumerate(with_clause.ctes):
            # A recursive WITH sees every CTE name in every body; a plain one only
            # the earlier ones, so a body may read a real table a later CTE shadows.
            seen = names if with_clause.recursive else names[:i]
            self.statement(cte.ctequery, _Level(parent, ctes=frozenset(seen)))
        return _Level(parent, ctes=frozenset(names))

    def _select(self, node: Any, parent: _Level | None) -> None:
        from pglast import enums

        level = self._with(node.withClause, parent)
        if node.op != enums.SetOperation.SETOP_NONE:
            self.statement(node.larg, level)
            self.statement(node.rarg, level)
            self.expression(node.sortClause, level)
            self.expression((node.limitOffset, node.limitCount), level)
            return
        self._from(node.fromClause, level)
        self.expression(
            (
                node.targetList,
                node.whereClause,
                node.groupClause,
                node.havingClause,
                node.windowClause,
                node.sortClause,
                node.distinctClause,
                node.valuesLists,
                node.limitOffset,
                node.limitCount,
            ),
            level,
        )
        # FOR UPDATE OF names sources of this level, not tables: nothing to read there.

    def _insert(self, node: Any, parent: _Level | None) -> None:
        level = self._with(node.withClause, parent)
        if node.selectStmt is not None:
            # The source query does not see the target table.
            self.statement(node.selectStmt, _Level(level, ctes=level.ctes))
        target = self._target(node.relation, level)
        for column in node.cols or ():
            self._read_columns(target.tables, column.name)
        conflict = node.onConflictClause
        if conflict is not None:
            # EXCLUDED is the row proposed for insertion: a row of the target table.
            level.sources.append(_Source("excluded", target.tables))
            infer = conflict.infer
            if infer is not None:
                for element in infer.indexElems or ():
                    if element.name is not None:
                        self._read_columns(target.tables, element.name)
                    self.expression(element.expr, level)
                self.expression(infer.whereClause, level)
            self._set_targets(conflict.targetList, target, level)
            self.expression(conflict.whereClause, level)
        self._returning(node.returningClause, target, level)

    def _update(self, node: Any, parent: _Level | None) -> None:
        level = self._with(node.withClause, parent)
        target = self._target(node.relation, level)
        self._from(node.fromClause, level)
        self._set_targets(node.targetList, target, level)
        self.expression(node.whereClause, level)
        self._returning(node.returningClause, target, level)

    def _delete(self, node: Any, parent: _Level | None) -> None:
        level = self._with(node.withClause, parent)
        target = self._target(node.relation, level)
        self._from(node.usingClause, level)
        self.expression(node.whereClause, level)
        self._returning(node.returningClause, target, level)

    def _merge(self, node: Any, parent: _Level | None) -> None:
        level = self._with(node.withClause, parent)
        target = self._target(node.relation, level)
        self._from((node.sourceRelation,), level)
        self.expression(node.joinCondition, level)
        for when in node.mergeWhenClauses or ():
            self.expression(when.condition, level)
            self._set_targets(when.targetList, target, level)
            self.expression(when.values, level)
        self._returning(node.returningClause, target, level)

    def _target(self, relation: Any, level: _Level) -> _Source:
        """The table an INSERT / UPDATE / DELETE / MERGE writes: read as a source too."""
        source = self._range_var(relation, level)
        level.sources.append(source)
        return source

    def _returning(self, clause: Any, target: _Source, level: _Level) -> None:
        if clause is None:
            return
        # RETURNING old.x / new.x: the target's row before and after (PostgreSQL 18).
        # Looked up after the level's own sources, so an alias named old still wins.
        level.sources += [_Source("old", target.tables), _Source("new", target.tables)]
        self.expression(clause, level)

    def _set_targets(self, targets: Any, target: _Source, level: _Level) -> None:
        """``SET col = value`` / MERGE's INSERT (cols): the columns written, and the values."""
        for item in targets or ():
            if item.name is not None:
                self._read_columns(target.tables, item.name)
            self.expression((item.indirection, item.val), level)

    # FROM: sources first, then the expressions inside them (which may refer to
    # any source of the level: LATERAL, JOIN ... ON).

    def _from(self, items: Any, level: _Level) -> None:
        pending: list[Any] = []
        for item in items or ():
            self._from_item(item, level, pending)
        for node in pending:
            self.expression(node, level)

    def _from_item(self, item: Any, level: _Level, pending: list[Any]) -> frozenset[str]:
        """Add ``item``'s sources to ``level``; return the real tables behind it."""
        from pglast import ast

        if isinstance(item, ast.RangeVar):
            source = self._range_var(item, level)
            level.sources.append(source)
            return source.tables
        if isinstance(item, ast.JoinExpr):
            tables = self._from_item(item.larg, level, pending) | self._from_item(
                item.rarg, level, pending
            )
            for column in item.usingClause or ():
                self._read_columns(tables, column.sval)
            if item.isNatural:  # the columns both sides share: unknown here, so all of them
                for table in tables:
                    self.found.add_every_column(table, self.where)
            if item.alias is not None:
                level.sources.append(_Source(item.alias.aliasname, tables))
            pending.append(item.quals)
            return tables
        if isinstance(item, ast.RangeSubselect):
            if item.lateral:
                pending.append(item.subquery)
            else:  # sees the enclosing levels, not its siblings in this FROM
                self.statement(item.subquery, _Level(level.parent, ctes=level.ctes))
            alias = item.alias.aliasname if item.alias is not None else None
            level.sources.append(_Source(alias, frozenset()))
            return frozenset()
        if isinstance(item, ast.RangeTableSample):
            pending.append((item.args, item.repeatable))
            return self._from_item(item.relation, level, pending)
        # Functions in FROM (generate_series, unnest ...), XMLTABLE, JSON_TABLE: no
        # table of their own, but their arguments may read columns.
        alias = getattr(item, "alias", None)
        level.sources.append(_Source(alias.aliasname if alias is not None else None, frozenset()))
        pending.append(item)
        return frozenset()

    def _range_var(self, node: Any, level: _Level) -> _Source:
        alias = node.alias.aliasname if node.alias is not None else None
        if node.schemaname is None and level.is_cte(node.relname):
            return _Source(alias or node.relname, frozenset())
        self.found.add_table(node.relname, self.where)
        return _Source(alias or node.relname, frozenset({node.relname}))

    # Expressions: column references, and the subqueries inside them.

    def expression(self, node: Any, level: _Level) -> None:
        from pglast import ast

        if node is None or isinstance(node, str | int | float | bool):
            return
        if isinstance(node, list | tuple):
            for item in node:
                self.expression(item, level)
            return
        if isinstance(node, ast.ColumnRef):
            self._column_ref(node, level)
            return
        if isinstance(node, ast.SubLink):
            self.expression(node.testexpr, level)
            self.statement(node.subselect, level)
            return
        if isinstance(
            node,
            ast.SelectStmt | ast.InsertStmt | ast.UpdateStmt | ast.DeleteStmt | ast.MergeStmt,
        ):
            self.statement(node, level)
            return
        if isinstance(node, ast.LockingClause):
            return  # FOR UPDATE OF s: s is a source of this level, already read
        if isinstance(node, ast.Node):
            for name in node:
                self.expression(getattr(node, name), level)

    def _column_ref(self, node: Any, level: _Level) -> None:
        from pglast import ast

        fields = list(node.fields)
        star = isinstance(fields[-1], ast.A_Star)
        names = [str(f.sval) for f in fields if isinstance(f, ast.String)]
        if star and not names:  # SELECT *: this level's tables
            for table in level.tables():
                self.found.add_every_column(table, self.where)
            return
        if star:  # t.* / schema.t.*
            for table in self._qualified(names, level):
                self.found.add_every_column(table, self.where)
            return
        column = names[-1]
        if len(names) == 1:
            self._read_columns(level.visible_tables(), column)
            whole_row = level.lookup(column)  # SELECT t FROM t: the whole row
            if whole_row is not None:
                for table in whole_row.tables:
                    self.found.add_every_column(table, self.where)
            return
        self._read_columns(self._qualified(names[:-1], level), column)

    def _qualified(self, qualifier: list[str], level: _Level) -> Iterable[str]:
        """The tables a column qualifier (``s``, ``tutoring_sessions``, ``public.t``) names."""
        if len(qualifier) > 1:  # schema.table: always a table, never an alias
            self.found.add_table(qualifier[-1], self.where)
            return (qualifier[-1],)
        source = level.lookup(qualifier[0])
        if source is not None:
            return source.tables
        # Not a source: `composite_column.field`; read it as a column of any table.
        self._read_columns(level.visible_tables(), qualifier[0])
        return level.visible_tables()

    def _read_columns(self, tables: Iterable[str], column: str) -> None:
        for table in tables:
            self.found.add_column(table, column, self.where)
