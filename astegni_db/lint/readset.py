"""What the application reads, from checks/: the tables and columns a migration
must not rename or drop while the application still uses them.

The spec (checks/schema.toml, read by the same reader verify uses) lists
tables and columns; the queries (checks/queries/*.sql) are scanned, not
parsed: a table is read when it follows FROM, JOIN, UPDATE or INTO, and a
column of such a table when its name occurs anywhere in the same query
(``SELECT *`` reads every column). Over-reading only means a rename or drop
needs an explicit silencing comment; under-reading would let one through, so
the scan errs on the side of reading too much.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from astegni_db.project.queries import load_queries
from astegni_db.project.spec import load_spec
from astegni_db.sqltext import Token, lex, read_name

_TABLE_INTRODUCERS = frozenset({"FROM", "JOIN", "UPDATE", "INTO"})
_CLAUSE_ENDS = frozenset(
    {"WHERE", "GROUP", "ORDER", "HAVING", "LIMIT", "OFFSET", "ON", "USING", "JOIN", "LEFT",
     "RIGHT", "INNER", "FULL", "CROSS", "NATURAL", "UNION", "EXCEPT", "INTERSECT", "WINDOW",
     "SET", "VALUES", "RETURNING", "FOR", "LATERAL", "SELECT"}
)  # fmt: skip


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


def load_read_set(spec_path: Path | None, queries_dir: Path | None) -> ReadSet:
    found = ReadSet()
    # Queries first: a finding then names the query that reads the object.
    if queries_dir is not None:
        for query in load_queries(queries_dir):
            _from_query(found, lex(query.text).tokens, str(query.path))
    if spec_path is not None:
        _from_spec(found, spec_path)
    return found


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


def _from_query(found: ReadSet, tokens: list[Token], where: str) -> None:
    tables = _query_tables(tokens)
    names = {t.name for t in tokens if t.kind in ("word", "ident")}
    star = any(
        t.text == "*"
        and i > 0
        and (tokens[i - 1].is_("SELECT") or tokens[i - 1].text in (",", "."))
        for i, t in enumerate(tokens)
    )
    for table in tables:
        found.add_table(table, where)
        for name in names - tables:
            found.add_column(table, name, where)
        if star:
            found.every_column.setdefault(table, where)


def _query_tables(tokens: list[Token]) -> set[str]:
    tables: set[str] = set()
    i = 0
    while i < len(tokens):
        if not tokens[i].is_(*_TABLE_INTRODUCERS):
            i += 1
            continue
        i += 1
        while i < len(tokens):  # FROM a x, b AS y, ...
            if tokens[i].is_("ONLY", "LATERAL"):
                i += 1
            name, i = read_name(tokens, i)
            if name is None:
                break
            tables.add(name)
            while i < len(tokens) and tokens[i].text != "," and not tokens[i].is_(*_CLAUSE_ENDS):
                if tokens[i].text == "(":
                    break
                i += 1
            if i < len(tokens) and tokens[i].text == ",":
                i += 1
                continue
            break
    return tables
