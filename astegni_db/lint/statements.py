"""A migration file as the lint rules see it: its statements parsed by PostgreSQL's
grammar (DO bodies opened up), the yoyo directives, and the silencing comments.

The file is cut exactly where yoyo cuts it (project.migration_files.split_statements,
sqlparse as yoyo uses it); each piece is parsed by sqlgrammar.parse_statements,
so every statement a rule sees is one the server would accept. A piece the
grammar refuses is kept as a syntax error (rule AD100) and nothing in it is
linted. The body of a ``DO`` block is read with the PL/pgSQL grammar and each
static SQL statement it runs is parsed and linted like the file's own
(``in_do_block``); tables it creates count as created by the file. SQL that a
DO block builds at run time (``EXECUTE format(...)``) cannot be seen: each one
becomes a note in the report. Function bodies (CREATE FUNCTION) run when
called, not when the migration runs, and are not opened.

Comments come from PostgreSQL's scanner (sqlgrammar.comments), piece by piece
and in DO bodies, with their lines: ``-- astegni-db: ignore AD1xx`` silences.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from astegni_db.project.migration_files import (
    MigrationFile,
    read_directives,
    read_migration_file,
    rollback_path_for,
    split_statements,
)
from astegni_db.sqlgrammar import (
    Comment,
    SqlSyntaxError,
    comments,
    parse_statements,
    plpgsql_statements,
)

if TYPE_CHECKING:
    from pglast import ast
    from pglast.parser import Token

IGNORE_PATTERN = re.compile(r"astegni-db:\s*ignore\b\s*((?:[A-Za-z]{2}\d{3}[\s,]*)+)", re.I)
_RULE_ID = re.compile(r"[A-Za-z]{2}\d{3}")
# Scanner token names of the punctuation that nests or separates.
_OPEN = frozenset({"ASCII_40", "ASCII_91"})  # ( [
_CLOSE = frozenset({"ASCII_41", "ASCII_93"})  # ) ]
_COMMA, _DOT, _STAR, _SEMICOLON = "ASCII_44", "ASCII_46", "ASCII_42", "ASCII_59"


@dataclass
class SourceText:
    """Text the grammar parsed (a piece of the file, or a statement of a DO body),
    and where it starts: node locations (character offsets into it) become lines."""

    text: str
    first_line: int

    def line_at(self, offset: int | None) -> int:
        if offset is None or offset < 0:
            return self.first_line
        return self.first_line + self.text.count("\n", 0, offset)

    @cached_property
    def tokens(self) -> list[Token]:
        """PostgreSQL's scanner tokens, comments left out (scanned once, when asked)."""
        from pglast import parser

        return [t for t in parser.scan(self.text) if t.name not in ("SQL_COMMENT", "C_COMMENT")]


@dataclass(frozen=True)
class Statement:
    node: ast.Node  # the parsed statement: ast.AlterTableStmt, ast.IndexStmt, ...
    line: int  # line of its first character
    offset: int  # where it starts in source.text
    source: SourceText
    in_do_block: bool = False

    def line_at(self, location: int | None) -> int:
        """The line of a node's location (the statement's line when it has none)."""
        return self.line if location is None or location < 0 else self.source.line_at(location)

    def command_lines(self) -> list[int]:
        """The line each command of an ALTER TABLE starts on, in order (PostgreSQL's
        scanner finds the commas between them; parentheses and brackets nest)."""
        from pglast import ast

        node = self.node
        if not isinstance(node, ast.AlterTableStmt) or not node.cmds:
            return []
        tokens = self._own_tokens()
        at = _after_name(tokens, node.relation.location if node.relation else None)
        starts = [] if at is None else [at] + [i + 1 for i in _top_level_commas(tokens, at)]
        if len(starts) != len(node.cmds) or starts[-1] >= len(tokens):
            return [self.line] * len(node.cmds)
        return [self.source.line_at(tokens[i].start) for i in starts]

    def keyword_line(self, keyword: str, after: int | None = None) -> int:
        """The line of the first ``keyword`` token (a scanner name: "RENAME", "ADD_P")
        of the statement, or the first after the location ``after``."""
        for token in self._own_tokens():
            if token.name == keyword and (after is None or token.start > after):
                return self.source.line_at(token.start)
        return self.line

    def list_item_lines(self, count: int) -> list[int]:
        """For DROP TABLE a, b ...: the line each of the ``count`` names ends on."""
        tokens = self._own_tokens()
        ends = [tokens[i - 1] for i in _top_level_commas(tokens, 0) if i > 0]
        words = [t for t in tokens if t.name not in ("CASCADE", "RESTRICT")]
        if words:
            ends.append(words[-1])
        if len(ends) != count:
            return [self.line] * count
        return [self.source.line_at(t.start) for t in ends]

    def _own_tokens(self) -> list[Token]:
        """This statement's tokens (its piece may hold several), without the semicolon."""
        tokens = []
        depth = 0
        for token in self.source.tokens:
            if token.start < self.offset:
                continue
            if token.name in _OPEN:
                depth += 1
            elif token.name in _CLOSE:
                depth -= 1
            elif depth <= 0 and token.name == _SEMICOLON:
                break
            tokens.append(token)
        return tokens


class SyntaxProblem(NamedTuple):
    line: int
    message: str  # PostgreSQL's grammar's own words
    statement_line: int  # where the refused piece starts (for silencing comments)


@dataclass
class ParsedMigration:
    path: Path
    statements: list[Statement]
    transactional: bool
    leading_lines: int  # lines 1..leading_lines are yoyo's leading comment block
    has_rollback: bool
    syntax_errors: list[SyntaxProblem] = field(default_factory=list)
    dynamic_sql_lines: list[int] = field(default_factory=list)  # EXECUTE in DO blocks
    ignores: dict[int, set[str]] = field(default_factory=dict)  # line -> rule ids
    own_line_comments: set[int] = field(default_factory=set)

    @property
    def rollback_path(self) -> Path:
        return rollback_path_for(self.path)

    def is_silenced(self, rule_id: str, line: int, statement_line: int | None) -> bool:
        """A matching ignore comment on ``line``, the line above it, or in the comment
        lines directly above the statement (file-level findings: the leading block)."""
        if rule_id in self.ignores.get(line, set()):
            return True
        if line - 1 in self.own_line_comments and rule_id in self.ignores.get(line - 1, set()):
            return True
        above = statement_line - 1 if statement_line is not None else None
        while above is not None and above in self.own_line_comments:
            if rule_id in self.ignores.get(above, set()):
                return True
            above -= 1
        if statement_line is None:
            return any(
                rule_id in self.ignores.get(n, set()) for n in range(1, self.leading_lines + 1)
            )
        return False


def parse_migration_file(path: Path) -> ParsedMigration:
    return parse_migration(read_migration_file(path))


def parse_migration(migration: MigrationFile) -> ParsedMigration:
    text = migration.sql.replace("\r\n", "\n").replace("\r", "\n")
    transactional, leading = read_directives(text)
    source = ParsedMigration(
        path=migration.path,
        statements=[],
        transactional=transactional,
        leading_lines=leading,
        has_rollback=migration.rollback_text is not None,
    )
    found: list[Comment] = []
    for chunk, line in split_statements(text):
        found += comments(chunk, line)
        piece = SourceText(chunk, line)
        try:
            parsed = parse_statements(chunk, line)
        except SqlSyntaxError as exc:
            source.syntax_errors.append(_syntax_problem(exc, piece))
            continue
        for statement in parsed:
            outer = Statement(statement.node, statement.line, statement.offset, piece)
            source.statements.append(outer)
            found += _open_do_block(outer, source)
    for comment in found:
        if comment.own_line:
            source.own_line_comments.add(comment.line)
        match = IGNORE_PATTERN.search(comment.text)
        if match:
            ids = {i.upper() for i in _RULE_ID.findall(match.group(1))}
            source.ignores.setdefault(comment.line, set()).update(ids)
    return source


def _open_do_block(statement: Statement, source: ParsedMigration) -> list[Comment]:
    """Add the statements a PL/pgSQL ``DO`` body runs; return the body's comments."""
    from pglast import ast

    node = statement.node
    if not isinstance(node, ast.DoStmt):
        return []
    options = {o.defname: o for o in node.args or () if isinstance(o, ast.DefElem)}
    language = options.get("language")
    if language is not None and getattr(language.arg, "sval", "").lower() != "plpgsql":
        return []  # another language's body: not SQL lint can read
    body = options.get("as")
    if body is None or not isinstance(body.arg, ast.String) or body.arg.sval is None:
        return []
    body_line = statement.source.line_at(body.arg_location)
    try:
        inner = list(plpgsql_statements(body.arg.sval, body_line))
    except SqlSyntaxError as exc:
        source.syntax_errors.append(SyntaxProblem(exc.line, _grammar_words(exc), statement.line))
        return comments(body.arg.sval, body_line)
    for run in inner:
        if run.dynamic:
            source.dynamic_sql_lines.append(run.line)
            continue
        piece = SourceText(run.text, run.line)
        try:
            parsed = parse_statements(run.text, run.line)
        except SqlSyntaxError as exc:
            source.syntax_errors.append(_syntax_problem(exc, piece))
            continue
        for sql in parsed:
            source.statements.append(
                Statement(sql.node, sql.line, sql.offset, piece, in_do_block=True)
            )
    return comments(body.arg.sval, body_line)


def _syntax_problem(exc: SqlSyntaxError, piece: SourceText) -> SyntaxProblem:
    line = exc.line
    if "at end of input" in str(exc):
        # The grammar gives no position for a statement cut short: it ends where the text does.
        line = piece.first_line + piece.text.rstrip().count("\n")
    return SyntaxProblem(line, _grammar_words(exc), _first_token_line(piece))


def _first_token_line(piece: SourceText) -> int:
    """The line the piece's SQL starts on, after the comments that lead it (those
    are the lines a silencing comment above the statement sits on)."""
    from pglast.parser import ParseError

    try:
        tokens = piece.tokens
    except ParseError:  # an unterminated quote or comment: no tokens to speak of
        return piece.first_line
    return piece.line_at(tokens[0].start) if tokens else piece.first_line


def _grammar_words(exc: SqlSyntaxError) -> str:
    return str(exc).removeprefix("syntax error: ")


def _top_level_commas(tokens: list[Token], start: int) -> list[int]:
    """Indexes of the commas outside parentheses and brackets, from ``start`` on."""
    found = []
    depth = 0
    for i in range(start, len(tokens)):
        name = tokens[i].name
        if name in _OPEN:
            depth += 1
        elif name in _CLOSE:
            depth -= 1
        elif depth == 0 and name == _COMMA:
            found.append(i)
    return found


def _after_name(tokens: list[Token], location: int | None) -> int | None:
    """Index of the first token after the (possibly qualified) name at ``location``."""
    if location is None:
        return None
    at = next((i for i, t in enumerate(tokens) if t.start >= location), None)
    if at is None:
        return None
    at += 1
    while at + 1 < len(tokens) and tokens[at].name == _DOT:
        at += 2
    if at < len(tokens) and tokens[at].name == _STAR:
        at += 1
    return at if at < len(tokens) else None
