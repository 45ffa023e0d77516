"""What the rules know while reading migrations in order: per file and across files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from astegni_db.lint import ddl
from astegni_db.lint.readset import ReadSet
from astegni_db.lint.statements import ParsedMigration, Statement
from astegni_db.lint.types import SqlType, parse_type
from astegni_db.sqltext import Token, has_sequence

# Who runs the files: astegni-db sets lock_timeout for every migration it runs;
# stock yoyo and psql set none.
Runner = Literal["astegni-db", "yoyo", "psql"]
RUNNERS: tuple[Runner, ...] = ("astegni-db", "yoyo", "psql")


@dataclass
class History:
    """Facts from the migrations read so far (earlier files and earlier statements)."""

    column_types: dict[tuple[str, str], SqlType] = field(default_factory=dict)
    # constraint name -> (table, column) for CHECK (column IS NOT NULL)
    not_null_checks: dict[str, tuple[str, str]] = field(default_factory=dict)
    validated_not_null: set[tuple[str, str]] = field(default_factory=set)


@dataclass
class FileContext:
    source: ParsedMigration
    read_set: ReadSet
    history: History
    runner: Runner = "astegni-db"
    created_tables: set[str] = field(default_factory=set)
    added_constraints: set[str] = field(default_factory=set)
    lock_timeout_set: bool = False  # a SET lock_timeout to a non-zero value ran earlier

    def is_existing(self, table: str) -> bool:
        """Not created by this migration, so it may be large and busy."""
        return table not in self.created_tables

    def record(self, statement: Statement) -> None:
        """Remember what ``statement`` creates, after the rules have looked at it."""
        tokens = statement.tokens
        created = ddl.create_table(tokens)
        if created is not None:
            table, columns = created
            self.created_tables.add(table)
            for column in columns:
                self._remember_type(table, column.name, column.type_tokens)
        altered = ddl.alter_table(tokens)
        if altered is not None:
            for action in altered.actions:
                self._record_action(altered.table, action)
        if lock_timeout_value(tokens) not in (None, "0"):
            self.lock_timeout_set = True

    def _record_action(self, table: str, action: list[Token]) -> None:
        column = ddl.added_column(action)
        if column is not None:
            self._remember_type(table, column.name, column.type_tokens)
        changed = ddl.altered_column(action)
        if changed is not None:
            name, rest = changed
            at = has_sequence(rest, "TYPE")
            if at is not None:
                end = next(
                    (i for i, t in enumerate(rest) if i > at and t.is_("USING", "COLLATE")),
                    len(rest),
                )
                self._remember_type(table, name, rest[at + 1 : end])
        constraint = ddl.added_constraint(action)
        if constraint is not None:
            constraint_name, body = constraint
            if constraint_name is not None:
                self.added_constraints.add(constraint_name)
                not_null_column = not_null_check_column(body)
                if not_null_column is not None:
                    self.history.not_null_checks[constraint_name] = (table, not_null_column)
        if len(action) >= 3 and action[0].is_("VALIDATE") and action[1].is_("CONSTRAINT"):
            target = self.history.not_null_checks.get(action[2].name)
            if target is not None:
                self.history.validated_not_null.add(target)

    def _remember_type(self, table: str, column: str, type_tokens: list[Token]) -> None:
        parsed = parse_type(type_tokens)
        if parsed is not None:
            self.history.column_types[(table, column)] = parsed


def not_null_check_column(body: list[Token]) -> str | None:
    """The column of ``CHECK (column IS NOT NULL)``, else None."""
    words = [t for t in body if t.text not in ("(", ")")]
    if (
        len(words) >= 5
        and words[0].is_("CHECK")
        and words[1].kind in ("word", "ident")
        and words[2].is_("IS")
        and words[3].is_("NOT")
        and words[4].is_("NULL")
    ):
        return words[1].name
    return None


def lock_timeout_value(tokens: list[Token]) -> str | None:
    """The value a statement gives lock_timeout ("0" for off/default/reset), else None."""
    if not tokens:
        return None
    if tokens[0].is_("RESET") and len(tokens) > 1 and tokens[1].is_("ALL", "LOCK_TIMEOUT"):
        return "0"
    if tokens[0].is_("SET"):
        i = 2 if len(tokens) > 1 and tokens[1].is_("LOCAL", "SESSION") else 1
        if i < len(tokens) and tokens[i].is_("LOCK_TIMEOUT"):
            value = [t for t in tokens[i + 1 :] if not (t.is_("TO") or t.text == "=")]
            return _normalise_timeout(value[0] if value else None)
        return None
    for k, token in enumerate(tokens):  # SELECT set_config('lock_timeout', '0', ...)
        if token.is_("SET_CONFIG") and k + 4 < len(tokens):
            args = [t for t in tokens[k + 2 :] if t.text != ","]
            if args and args[0].kind == "string" and args[0].text.lower() == "lock_timeout":
                return _normalise_timeout(args[1] if len(args) > 1 else None)
    return None


def _normalise_timeout(token: Token | None) -> str:
    if token is None or token.is_("DEFAULT"):
        return "0"
    text = token.text.strip().lower()
    digits = text.rstrip("abcdefghijklmnopqrstuvwxyz ").strip()
    try:
        return "0" if float(digits or "0") == 0 else text
    except ValueError:
        return text
