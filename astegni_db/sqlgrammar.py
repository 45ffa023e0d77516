"""SQL read with PostgreSQL's own grammar (libpg_query, through pglast).

The one SQL reader: lint reads migration statements with it, the read-set of
``checks/queries`` is parsed with it, and verify compares CHECK, default and
index expressions through it (astegni_db/verify/meaning.py).

pglast costs ~60 ms to import, so it is imported on first use, never at
module import: ``verify`` loads it only when two expressions' texts differ,
and ``--help`` never does (tests/test_startup_imports.py).

pglast turns libpg_query's byte offsets into character offsets; every
position leaving this module is a line number in the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, NamedTuple

from astegni_db.errors import AstegniError

if TYPE_CHECKING:
    from pglast import ast


class SqlSyntaxError(AstegniError):
    """PostgreSQL's grammar refuses the text (so would the server)."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


class ParsedStatement(NamedTuple):
    node: ast.Node  # the statement (RawStmt.stmt): ast.AlterTableStmt, ast.IndexStmt, ...
    line: int  # line of its first character in the file
    text: str  # its source text, without the trailing semicolon
    offset: int = 0  # character offset of its first character in the parsed text


class Comment(NamedTuple):
    line: int
    text: str  # without -- or /* */
    own_line: bool  # nothing but whitespace before it on its line


class PlpgsqlStatement(NamedTuple):
    text: str  # an SQL statement the PL/pgSQL body runs (static SQL only)
    line: int  # its line in the file
    dynamic: bool  # EXECUTE <expression>: the SQL is built at run time, text is the expression


def parse_statements(text: str, first_line: int = 1) -> list[ParsedStatement]:
    """Every statement of ``text`` (starting at ``first_line`` of its file), parsed."""
    from pglast import parser
    from pglast.parser import ParseError

    try:
        raw = parser.parse_sql(text)
    except ParseError as exc:
        raise _syntax_error(exc, text, first_line) from None
    found = []
    for stmt in raw:
        if stmt.stmt is None:
            continue
        start = stmt.stmt_location or 0
        end = start + stmt.stmt_len if stmt.stmt_len else len(text)
        chunk = text[start:end]
        # The location points at the statement's first byte or at whitespace and
        # comments before it (libpg_query keeps them with the statement).
        lead = len(chunk) - len(chunk.lstrip())
        line = first_line + text.count("\n", 0, start) + chunk[:lead].count("\n")
        found.append(
            ParsedStatement(stmt.stmt, line, chunk.strip().rstrip(";").rstrip(), start + lead)
        )
    return found


def parse_one(text: str) -> ast.Node:
    """The single statement in ``text``; SqlSyntaxError if it is not exactly one."""
    statements = parse_statements(text)
    if len(statements) != 1:
        raise SqlSyntaxError(f"expected exactly one SQL statement, found {len(statements)}", 1)
    return statements[0].node


def parse_expression(text: str) -> ast.Node:
    """A scalar expression (a CHECK body, a default, an index predicate), parsed."""
    from pglast import ast

    node = parse_one(f"SELECT {text}")
    if not isinstance(node, ast.SelectStmt) or not node.targetList or len(node.targetList) != 1:
        raise SqlSyntaxError(f"not a single expression: {text}", 1)
    value: ast.Node = node.targetList[0].val
    return value


def comments(text: str, first_line: int = 1) -> list[Comment]:
    """The ``--`` and ``/* */`` comments of ``text``, found by PostgreSQL's scanner."""
    from pglast import parser
    from pglast.parser import ParseError

    try:
        tokens = parser.scan(text)
    except ParseError:
        return []  # an unterminated quote: the parse reports it
    found = []
    for token in tokens:
        if token.name not in ("SQL_COMMENT", "C_COMMENT"):
            continue
        body = text[token.start : token.end + 1]  # the scanner's end is inclusive
        body = body[2:] if token.name == "SQL_COMMENT" else body[2:-2]
        line_start = text.rfind("\n", 0, token.start) + 1
        own = not text[line_start : token.start].strip()
        found.append(Comment(first_line + text.count("\n", 0, token.start), body.strip(), own))
    return found


def plpgsql_statements(body: str, first_line: int) -> Iterator[PlpgsqlStatement]:
    """The SQL statements a PL/pgSQL block (a DO body starting on ``first_line``) runs,
    in text order, control flow opened up (both branches of an IF count)."""
    from pglast import parse_plpgsql
    from pglast.parser import ParseError

    tag = "astegni_body"
    while f"${tag}$" in body:
        tag += "_"
    wrapper = f"CREATE FUNCTION astegni_do() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}$"
    try:
        parsed = parse_plpgsql(wrapper)
    except ParseError as exc:
        raise SqlSyntaxError(f"PL/pgSQL: {exc.args[0] if exc.args else exc}", first_line) from None
    found: list[PlpgsqlStatement] = []
    _walk_plpgsql(parsed, first_line, found)
    return iter(sorted(found, key=lambda s: s.line))


# PL/pgSQL statements whose expression is SQL the block runs as it stands.
_STATIC = {"PLpgSQL_stmt_execsql": "sqlstmt", "PLpgSQL_stmt_perform": "expr"}
# PL/pgSQL's own COMMIT and ROLLBACK, as the SQL statements they amount to.
_TRANSACTION_CONTROL = {"PLpgSQL_stmt_commit": "COMMIT", "PLpgSQL_stmt_rollback": "ROLLBACK"}


def _walk_plpgsql(value: Any, first_line: int, found: list[PlpgsqlStatement]) -> None:
    if isinstance(value, list):
        for item in value:
            _walk_plpgsql(item, first_line, found)
        return
    if not isinstance(value, dict):
        return
    for kind, body in value.items():
        if not isinstance(body, dict):
            _walk_plpgsql(body, first_line, found)
            continue
        line = first_line + max(int(body.get("lineno", 1)), 1) - 1
        if kind in _STATIC:
            query = body[_STATIC[kind]]["PLpgSQL_expr"]["query"]
            found.append(PlpgsqlStatement(query, line, dynamic=False))
        elif kind in _TRANSACTION_CONTROL:
            found.append(PlpgsqlStatement(_TRANSACTION_CONTROL[kind], line, dynamic=False))
        elif kind == "PLpgSQL_stmt_dynexecute":
            found.append(PlpgsqlStatement(body["query"]["PLpgSQL_expr"]["query"], line, True))
        _walk_plpgsql(body, first_line, found)


def _syntax_error(exc: Exception, text: str, first_line: int) -> SqlSyntaxError:
    message = str(exc.args[0]) if exc.args else str(exc)
    position = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else 0
    line = first_line + text.count("\n", 0, position)  # a 0-based character offset
    return SqlSyntaxError(f"syntax error: {message}", line)
