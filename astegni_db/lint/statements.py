"""A migration file as the lint rules see it: statements (DO bodies opened up),
the yoyo directives, and the silencing comments."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from astegni_db.project.migration_files import (
    MigrationFile,
    read_directives,
    read_migration_file,
    rollback_path_for,
    split_statements,
)
from astegni_db.sqltext import (
    Comment,
    Token,
    lex,
    split_on_semicolons,
)

IGNORE_PATTERN = re.compile(r"astegni-db:\s*ignore\b\s*((?:[A-Za-z]{2}\d{3}[\s,]*)+)", re.I)
_RULE_ID = re.compile(r"[A-Za-z]{2}\d{3}")

# Where a PL/pgSQL statement may start inside a DO body: after these keywords.
_BLOCK_OPENERS = frozenset({"BEGIN", "THEN", "ELSE", "LOOP", "DECLARE"})
_PLPGSQL_VERBS = frozenset(
    {"CREATE", "ALTER", "DROP", "COMMENT", "SET", "RESET", "SELECT", "PERFORM", "LOCK",
     "VACUUM", "REINDEX", "CLUSTER", "TRUNCATE", "REFRESH", "GRANT", "REVOKE"}
)  # fmt: skip


@dataclass(frozen=True)
class Statement:
    tokens: list[Token]
    in_do_block: bool = False

    @property
    def line(self) -> int:
        return self.tokens[0].line


@dataclass
class ParsedMigration:
    path: Path
    statements: list[Statement]
    transactional: bool
    leading_lines: int  # lines 1..leading_lines are yoyo's leading comment block
    has_rollback: bool
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
    statements: list[Statement] = []
    comments: list[Comment] = []
    for chunk, line in split_statements(text):
        lexed = lex(chunk, line)
        comments += lexed.comments
        tokens = [t for t in lexed.tokens if not (t.kind == "punct" and t.text == ";")]
        if not tokens:
            continue
        statements.append(Statement(tokens))
        if tokens[0].is_("DO"):
            inner, inner_comments = _do_body_statements(tokens)
            statements += inner
            comments += inner_comments
    source = ParsedMigration(
        path=migration.path,
        statements=statements,
        transactional=transactional,
        leading_lines=leading,
        has_rollback=migration.rollback_text is not None,
    )
    for comment in comments:
        if comment.own_line:
            source.own_line_comments.add(comment.line)
        match = IGNORE_PATTERN.search(comment.text)
        if match:
            ids = {i.upper() for i in _RULE_ID.findall(match.group(1))}
            source.ignores.setdefault(comment.line, set()).update(ids)
    return source


def _do_body_statements(tokens: list[Token]) -> tuple[list[Statement], list[Comment]]:
    """The DDL inside ``DO $$ ... $$`` (tables it creates count as created by the file)."""
    body = next((t for t in tokens if t.kind in ("dollar", "string")), None)
    if body is None:
        return [], []
    lexed = lex(body.text, body.line)
    found = []
    for run in split_on_semicolons(lexed.tokens):
        start = _plpgsql_start(run)
        if start is not None:
            found.append(Statement(run[start:], in_do_block=True))
    return found, lexed.comments


def _plpgsql_start(run: list[Token]) -> int | None:
    for i, token in enumerate(run):
        if token.upper in _PLPGSQL_VERBS and (i == 0 or run[i - 1].upper in _BLOCK_OPENERS):
            return i
    return None
