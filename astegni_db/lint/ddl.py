"""Small recognisers for the DDL statements the rules look at.

Each returns None for anything it does not recognise, so a rule never fires
on SQL it did not understand.
"""

from __future__ import annotations

from dataclasses import dataclass

from astegni_db.sqltext import Token, read_name, skip_words, split_commas

# Where a column's type ends and its constraints begin.
_COLUMN_CONSTRAINT_WORDS = frozenset(
    {"DEFAULT", "NOT", "NULL", "CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "REFERENCES",
     "GENERATED", "COLLATE", "USING", "STORAGE", "COMPRESSION"}
)  # fmt: skip
_TABLE_CONSTRAINT_WORDS = frozenset(
    {"CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN", "EXCLUDE", "LIKE"}
)


@dataclass(frozen=True)
class AlterTable:
    table: str
    actions: list[list[Token]]


@dataclass(frozen=True)
class ColumnDef:
    name: str
    type_tokens: list[Token]
    rest: list[Token]  # DEFAULT ..., NOT NULL, REFERENCES ...
    line: int


@dataclass(frozen=True)
class CreateIndex:
    table: str
    concurrently: bool
    line: int


def alter_table(tokens: list[Token]) -> AlterTable | None:
    if len(tokens) < 3 or not (tokens[0].is_("ALTER") and tokens[1].is_("TABLE")):
        return None
    i = skip_words(tokens, 2, "IF", "EXISTS", "ONLY")
    table, i = read_name(tokens, i)
    if table is None:
        return None
    if i < len(tokens) and tokens[i].text == "*":
        i += 1
    return AlterTable(table, split_commas(tokens[i:]))


def column_def(tokens: list[Token]) -> ColumnDef | None:
    """``name type [constraints]`` (as in CREATE TABLE or ADD COLUMN)."""
    if not tokens or tokens[0].kind not in ("word", "ident"):
        return None
    if tokens[0].kind == "word" and tokens[0].upper in _TABLE_CONSTRAINT_WORDS:
        return None
    end = 1
    while end < len(tokens) and not tokens[end].is_(*_COLUMN_CONSTRAINT_WORDS):
        end += 1
    return ColumnDef(tokens[0].name, tokens[1:end], tokens[end:], tokens[0].line)


def added_column(action: list[Token]) -> ColumnDef | None:
    """The column of an ``ADD [COLUMN] [IF NOT EXISTS] name type ...`` action."""
    if not action or not action[0].is_("ADD"):
        return None
    i = 1
    if i < len(action) and action[i].is_("COLUMN"):
        i += 1
    elif (
        i < len(action) and action[i].kind == "word" and action[i].upper in _TABLE_CONSTRAINT_WORDS
    ):
        return None
    i = skip_words(action, i, "IF", "NOT", "EXISTS")
    return column_def(action[i:])


def added_constraint(action: list[Token]) -> tuple[str | None, list[Token]] | None:
    """(name or None, body from CHECK/FOREIGN/...) of an ``ADD [CONSTRAINT n] ...`` action."""
    if len(action) < 2 or not action[0].is_("ADD"):
        return None
    i = 1
    name = None
    if action[i].is_("CONSTRAINT"):
        if i + 1 >= len(action):
            return None
        name = action[i + 1].name
        i += 2
    if i < len(action) and action[i].is_("CHECK", "FOREIGN", "UNIQUE", "PRIMARY", "EXCLUDE"):
        return name, action[i:]
    return None


def altered_column(action: list[Token]) -> tuple[str, list[Token]] | None:
    """(column, what follows) for ``ALTER [COLUMN] name ...``."""
    if not action or not action[0].is_("ALTER"):
        return None
    i = 1
    if i < len(action) and action[i].is_("COLUMN"):
        i += 1
    if i >= len(action) or action[i].kind not in ("word", "ident"):
        return None
    return action[i].name, action[i + 1 :]


def create_table(tokens: list[Token]) -> tuple[str, list[ColumnDef]] | None:
    """Name and column definitions of CREATE [TEMP|UNLOGGED] TABLE [IF NOT EXISTS] name (...)."""
    if not tokens or not tokens[0].is_("CREATE"):
        return None
    i = skip_words(tokens, 1, "GLOBAL", "LOCAL", "TEMP", "TEMPORARY", "UNLOGGED", "OR", "REPLACE")
    if i >= len(tokens):
        return None
    if tokens[i].is_("MATERIALIZED") and i + 1 < len(tokens) and tokens[i + 1].is_("VIEW"):
        i += 2
    elif tokens[i].is_("TABLE"):
        i += 1
    else:
        return None
    i = skip_words(tokens, i, "IF", "NOT", "EXISTS")
    name, i = read_name(tokens, i)
    if name is None:
        return None
    columns: list[ColumnDef] = []
    if i < len(tokens) and tokens[i].text == "(":
        depth, end = 0, i
        for end in range(i, len(tokens)):
            if tokens[end].text == "(":
                depth += 1
            elif tokens[end].text == ")":
                depth -= 1
                if depth == 0:
                    break
        for element in split_commas(tokens[i + 1 : end]):
            column = column_def(element)
            if column is not None:
                columns.append(column)
    return name, columns


def create_index(tokens: list[Token]) -> CreateIndex | None:
    if not tokens or not tokens[0].is_("CREATE"):
        return None
    i = skip_words(tokens, 1, "UNIQUE")
    if i >= len(tokens) or not tokens[i].is_("INDEX"):
        return None
    concurrently = i + 1 < len(tokens) and tokens[i + 1].is_("CONCURRENTLY")
    for j in range(i + 1, len(tokens)):
        if tokens[j].is_("ON"):
            table, _ = read_name(tokens, skip_words(tokens, j + 1, "ONLY"))
            if table is None:
                return None
            return CreateIndex(table, concurrently, tokens[0].line)
    return None


def dropped_tables(tokens: list[Token]) -> list[tuple[str, int]]:
    """Tables (and views) named by DROP TABLE / VIEW / MATERIALIZED VIEW."""
    if len(tokens) < 3 or not tokens[0].is_("DROP"):
        return []
    i = 1
    if tokens[i].is_("MATERIALIZED"):
        i += 1
    if not tokens[i].is_("TABLE", "VIEW"):
        return []
    i = skip_words(tokens, i + 1, "IF", "EXISTS")
    found = []
    for part in split_commas(tokens[i:]):
        name, _ = read_name(part, 0)
        if name is not None:
            found.append((name, part[0].line))
    return found


def names_in(tokens: list[Token]) -> set[str]:
    return {t.name for t in tokens if t.kind in ("word", "ident")}
