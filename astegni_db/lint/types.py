"""Column type spellings, and which type changes PostgreSQL makes without a rewrite.

Measured on PostgreSQL 15 (relfilenode before and after, tests/test_lint_facts.py):
varchar(n) -> varchar(m >= n), varchar(n) -> varchar, varchar -> text,
text -> varchar, numeric(p,s) -> numeric(q >= p, s), numeric(p,s) -> numeric,
cidr -> inet are catalog-only; narrowing, int -> bigint, text -> varchar(n)
and numeric scale changes rewrite. timestamp -> timestamptz is catalog-only
only when the session's TimeZone is UTC, so it is not treated as safe.
"""

from __future__ import annotations

from dataclasses import dataclass

from astegni_db.sqltext import Token, lex

_ALIASES = {
    "character varying": "varchar",
    "char varying": "varchar",
    "character": "bpchar",
    "char": "bpchar",
    "int": "integer",
    "int4": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "decimal": "numeric",
    "bool": "boolean",
    "float8": "double precision",
    "float": "double precision",
    "float4": "real",
    "bit varying": "varbit",
    "timestamp without time zone": "timestamp",
    "timestamp with time zone": "timestamptz",
    "time without time zone": "time",
    "time with time zone": "timetz",
}
_VARIABLE_LENGTH = frozenset({"varchar", "varbit"})
_PRIVATE_WORDS = frozenset({"ARRAY"})


@dataclass(frozen=True)
class SqlType:
    base: str
    modifiers: tuple[int, ...] = ()
    array: bool = False

    def __str__(self) -> str:
        mods = f"({','.join(map(str, self.modifiers))})" if self.modifiers else ""
        return f"{self.base}{mods}{'[]' if self.array else ''}"


def parse_type(tokens: list[Token]) -> SqlType | None:
    words: list[str] = []
    modifiers: list[int] = []
    array = False
    depth = 0
    for token in tokens:
        if token.text == "(":
            depth += 1
        elif token.text == ")":
            depth -= 1
        elif token.text == "[" or token.is_(*_PRIVATE_WORDS):
            array = True
        elif depth > 0 and token.kind == "number" and not array:
            modifiers.append(int(float(token.text)))
        elif depth == 0 and token.kind in ("word", "ident"):
            words.append(token.name)
    if not words:
        return None
    base = " ".join(words[-4:] if words[0] in ("pg_catalog", "public") else words)
    return SqlType(_ALIASES.get(base, base), tuple(modifiers), array)


def parse_type_text(text: str) -> SqlType | None:
    return parse_type(lex(text).tokens)


def rewrites(old: SqlType, new: SqlType) -> bool:
    """Whether ALTER COLUMN ... TYPE ``new`` on an ``old`` column rewrites the table."""
    if old == new:
        return False
    if old.array or new.array:
        return True  # even text[] -> varchar[] rewrites (measured)
    if new.base == "text" and old.base in ("varchar", "text"):
        return False
    if new.base == "varchar" and not new.modifiers and old.base in ("varchar", "text"):
        return False
    if old.base == new.base and old.base in _VARIABLE_LENGTH:
        if not new.modifiers:
            return False
        if not old.modifiers:
            return True  # every value must be checked against the new limit
        return new.modifiers[0] < old.modifiers[0]
    if old.base == new.base == "numeric":
        if not new.modifiers:
            return False
        if not old.modifiers:
            return True
        old_scale = old.modifiers[1] if len(old.modifiers) > 1 else 0
        new_scale = new.modifiers[1] if len(new.modifiers) > 1 else 0
        return new_scale != old_scale or new.modifiers[0] < old.modifiers[0]
    return not (old.base == "cidr" and new.base == "inet")
