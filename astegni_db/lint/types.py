"""Column types as PostgreSQL's grammar reads them, and which type changes it makes
without a rewrite.

The grammar already resolves the SQL-standard spellings: ``character varying(20)``
is ``pg_catalog.varchar`` with the modifier 20, ``int`` and ``integer`` are
``pg_catalog.int4``, ``decimal`` is ``numeric``. Only the names PostgreSQL
accepts as plain aliases (``int4``, ``bool``, ``float8`` written as such) are
folded here, into the names messages use (integer, boolean, double precision).

Measured on PostgreSQL 15 (relfilenode before and after, tests/test_lint_facts.py):
varchar(n) -> varchar(m >= n), varchar(n) -> varchar, varchar -> text,
text -> varchar, numeric(p,s) -> numeric(q >= p, s), numeric(p,s) -> numeric,
cidr -> inet are catalog-only; narrowing, int -> bigint, text -> varchar(n)
and numeric scale changes rewrite. timestamp -> timestamptz is catalog-only
only when the session's TimeZone is UTC, so it is not treated as safe.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pglast import ast

# PostgreSQL's internal names (and their aliases) -> the names messages use.
_NAMES = {
    "int4": "integer",
    "int": "integer",
    "int8": "bigint",
    "int2": "smallint",
    "bool": "boolean",
    "float8": "double precision",
    "float4": "real",
    "decimal": "numeric",
}
_VARIABLE_LENGTH = frozenset({"varchar", "varbit"})
# Not types: integer columns with a sequence and a nextval() default.
SERIAL_TYPES = frozenset({"serial", "bigserial", "smallserial", "serial2", "serial4", "serial8"})
_DEFAULT_SCHEMAS = frozenset({"pg_catalog", "public"})


@dataclass(frozen=True)
class SqlType:
    base: str
    modifiers: tuple[int, ...] = ()
    array: bool = False

    def __str__(self) -> str:
        mods = f"({','.join(map(str, self.modifiers))})" if self.modifiers else ""
        return f"{self.base}{mods}{'[]' if self.array else ''}"


def sql_type(node: ast.TypeName | None) -> SqlType | None:
    """The type a TypeName node names (None for %TYPE references and unnamed types)."""
    from pglast import ast

    if node is None or node.pct_type or not node.names:
        return None
    names = [getattr(part, "sval", "") for part in node.names]
    if len(names) > 1 and names[-2] in _DEFAULT_SCHEMAS:
        names = names[-1:]
    base = ".".join(names)
    modifiers = tuple(
        mod.val.ival or 0
        for mod in node.typmods or ()
        if isinstance(mod, ast.A_Const) and isinstance(mod.val, ast.Integer)
    )
    return SqlType(_NAMES.get(base, base), modifiers, bool(node.arrayBounds))


def parse_type_text(text: str) -> SqlType | None:
    """The type written as ``text`` (``varchar(10)``, ``numeric(8,2)``, ``text[]``)."""
    from pglast import ast

    from astegni_db.sqlgrammar import parse_expression

    cast = parse_expression(f"NULL::{text}")
    return sql_type(cast.typeName) if isinstance(cast, ast.TypeCast) else None


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
