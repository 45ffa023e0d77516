"""Do two SQL expressions mean the same? CHECK bodies, defaults, generated columns,
index keys and predicates, compared as PostgreSQL's parser reads them.

The spec says what an expression must compute; the catalog prints it back in
PostgreSQL's own words, which depend on how it was created (an ``IN`` list
comes back as ``= ANY (ARRAY[...])``, a restored dump adds casts the original
did not print). Both texts are parsed (astegni_db/sqlgrammar.py) and reduced
to a canonical tree; they match when the trees are equal.

The reduction only makes a change where the meaning is provably the same:

- parentheses, whitespace, keyword case and ``pg_catalog.`` qualifiers vanish
  (they are not in the tree);
- ``a < b`` is ``b > a``; ``=`` and ``<>`` are symmetric; the operands of AND
  and OR are a set (both are commutative and idempotent in SQL's three-valued
  logic);
- ``x IN (a, b)``, ``x = ANY (ARRAY[a, b])`` and ``x = a OR x = b`` are one
  set membership (and ``NOT IN`` / ``<> ALL``), the list being a set; one
  member is plain ``x = a``; OR-of-equalities only when x is a column (a
  volatile call would be evaluated twice, not once);
- ``x BETWEEN a AND b`` is ``x >= a AND x <= b`` (how PostgreSQL stores it);
  ``LIKE`` is ``~~``; ``CURRENT_TIMESTAMP`` is ``now()``;
- the casts PostgreSQL adds that change no value are dropped: a string
  literal cast to ``text`` or unbounded ``character varying``; an ARRAY of
  such literals cast to ``text[]``/``varchar[]``; a column of a string type
  (``text_columns``) cast to ``text`` or unbounded ``varchar``; an integer
  literal cast to ``bigint`` or unbounded ``numeric`` where it is compared
  (in arithmetic the cast matters: ``1::numeric / 3`` is not ``1 / 3``).

A cast that can change a value is always kept: a length (``varchar(2)``
truncates), a numeric precision or scale, ``bpchar`` (trailing blanks), any
other type. So ``code::varchar(2)::text`` never matches ``code::text``.

Nothing is parsed when the two texts are equal once whitespace is squashed:
the parser (~60 ms to import) loads only when two texts differ.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Iterable
from functools import lru_cache
from typing import Any

Key = Hashable

# Operators whose operands may swap: the operator it becomes when they do.
_MIRRORED = {"=": "=", "<>": "<>", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_STRING_TYPES = frozenset({"text", "varchar"})
_TYPE_ALIASES = {
    "int": "int4",
    "integer": "int4",
    "bigint": "int8",
    "smallint": "int2",
    "bool": "boolean",
    "character varying": "varchar",
    "decimal": "numeric",
    "float8": "float8",
    "timestamptz": "timestamptz",
}


def squash(text: str) -> str:
    return " ".join(text.split())


def same_expression(expected: str, actual: str, *, text_columns: Collection[str] = ()) -> bool:
    """Whether ``expected`` (the spec's spelling) and ``actual`` (the catalog's) compute the
    same value. ``text_columns``: the table's columns of a string type (varchar/text), on
    which PostgreSQL's added ``::text`` casts change nothing."""
    if squash(expected) == squash(actual):
        return True
    columns = frozenset(text_columns)
    first, second = expression_key(expected, columns), expression_key(actual, columns)
    return first is not None and first == second


def same_index_key(expected: str, actual: str, *, text_columns: Collection[str] = ()) -> bool:
    """Whether two index key columns, spelled as pg_get_indexdef prints one
    (``expr [COLLATE c] [opclass] [DESC] [NULLS FIRST|LAST]``), are the same key."""
    if squash(expected) == squash(actual):
        return True
    columns = frozenset(text_columns)
    first, second = index_key(expected, columns), index_key(actual, columns)
    return first is not None and first == second


def match_by_meaning(
    expected: Iterable[str],
    actual: Iterable[str],
    *,
    text_columns: Collection[str] = (),
) -> dict[str, str]:
    """Pairs each expected expression with the actual one that means the same.

    Equal texts pair first, without parsing; the parser is loaded only when
    something is left unpaired on both sides.
    """
    left = sorted(set(expected))
    right = sorted(set(actual))
    by_text = {squash(text): text for text in right}
    paired = {text: by_text[squash(text)] for text in left if squash(text) in by_text}
    rest_left = [text for text in left if text not in paired]
    rest_right = [text for text in right if text not in paired.values()]
    if rest_left and rest_right:
        columns = frozenset(text_columns)
        by_key: dict[Key, str] = {}
        for text in rest_right:
            key = expression_key(text, columns)
            if key is not None:
                by_key.setdefault(key, text)
        for text in rest_left:
            key = expression_key(text, columns)
            if key is not None and key in by_key:
                paired[text] = by_key.pop(key)
    return paired


@lru_cache(maxsize=512)
def expression_key(text: str, text_columns: frozenset[str] = frozenset()) -> Key | None:
    """The canonical tree of ``text``; None when the grammar refuses it (then only an
    identical text matches)."""
    from astegni_db.sqlgrammar import SqlSyntaxError, parse_expression

    try:
        return _Canonical(text_columns).node(parse_expression(text))
    except SqlSyntaxError:
        return None


@lru_cache(maxsize=512)
def index_key(text: str, text_columns: frozenset[str] = frozenset()) -> Key | None:
    from pglast import ast, enums

    from astegni_db.sqlgrammar import SqlSyntaxError, parse_one

    try:
        statement = parse_one(f"CREATE INDEX ON astegni_probe ({text})")
    except SqlSyntaxError:
        return None
    if not isinstance(statement, ast.IndexStmt) or len(statement.indexParams or ()) != 1:
        return None
    elem = statement.indexParams[0]  # type: ignore[index]  # checked just above
    canonical = _Canonical(text_columns)
    what = ("column", elem.name) if elem.name else canonical.node(elem.expr)
    descending = elem.ordering == enums.SortByDir.SORTBY_DESC
    # NULLS LAST is the default ascending, NULLS FIRST descending.
    nulls_first = (
        descending
        if elem.nulls_ordering == enums.SortByNulls.SORTBY_NULLS_DEFAULT
        else elem.nulls_ordering == enums.SortByNulls.SORTBY_NULLS_FIRST
    )
    return (
        what,
        _names(elem.collation),
        _names(elem.opclass),
        canonical.node(elem.opclassopts),
        descending,
        nulls_first,
    )


def _names(values: Any) -> tuple[str, ...]:
    names = tuple(v.sval for v in values or ())
    return names[1:] if names[:1] == ("pg_catalog",) and len(names) > 1 else names


class _Canonical:
    """Turns a parsed expression into nested tuples, reduced as the module docstring says."""

    def __init__(self, text_columns: frozenset[str]) -> None:
        self.text_columns = text_columns

    def node(self, value: Any) -> Key:
        from pglast import ast

        if isinstance(value, (list, tuple)):
            return tuple(self.node(item) for item in value)
        if not isinstance(value, ast.Node):
            is_enum = hasattr(value, "name") and hasattr(value, "value")
            return str(value.name) if is_enum else value
        reduce = getattr(self, f"_{type(value).__name__}", None)
        if reduce is not None:
            return reduce(value)  # type: ignore[no-any-return]
        return self.generic(value)

    def generic(self, value: Any) -> Key:
        fields = []
        for name, info in type(value).__slots__.items():
            if info.c_type == "ParseLoc":
                continue  # where it was written: never meaning
            fields.append((name, self.node(getattr(value, name))))
        return (type(value).__name__, tuple(fields))

    # -- casts -----------------------------------------------------------

    def _TypeCast(self, value: Any) -> Key:  # noqa: N802 - named after the node
        from pglast import ast

        type_name = _type_name(value.typeName)
        inner = value.arg
        has_typmod = bool(value.typeName.typmods)
        is_array = bool(value.typeName.arrayBounds)
        if not has_typmod and type_name in _STRING_TYPES:
            if is_array and isinstance(inner, ast.A_ArrayExpr):
                elements = [self.node(e) for e in inner.elements or ()]
                if all(_is_string_literal(e) for e in elements):
                    return ("array", tuple(elements))
            if not is_array:
                arg = self.node(inner)
                if _is_string_literal(arg) or _is_text_column(arg, self.text_columns):
                    return arg
        typmods = self.node(value.typeName.typmods)
        return ("cast", self.node(inner), type_name, typmods, is_array)

    def _A_Const(self, value: Any) -> Key:  # noqa: N802
        if value.isnull:
            return ("null",)
        val = value.val
        kind = type(val).__name__
        content = {
            "String": "sval",
            "Integer": "ival",
            "Float": "fval",
            "Boolean": "boolval",
            "BitString": "bsval",
        }[kind]
        return ("const", kind, getattr(val, content))

    def _ColumnRef(self, value: Any) -> Key:  # noqa: N802
        return ("column", self.node(value.fields))

    def _String(self, value: Any) -> Key:  # noqa: N802
        return value.sval  # type: ignore[no-any-return]

    def _A_ArrayExpr(self, value: Any) -> Key:  # noqa: N802
        return ("array", self.node(value.elements or ()))

    def _SQLValueFunction(self, value: Any) -> Key:  # noqa: N802
        from pglast import enums

        if value.op == enums.SQLValueFunctionOp.SVFOP_CURRENT_TIMESTAMP:
            return ("call", ("now",), ())  # documented equal: transaction start time
        return self.generic(value)

    def _FuncCall(self, value: Any) -> Key:  # noqa: N802
        plain = not (
            value.agg_order
            or value.agg_filter
            or value.over
            or value.agg_star
            or value.agg_distinct
            or value.func_variadic
        )
        if plain:
            return ("call", _names(value.funcname), self.node(value.args or ()))
        return self.generic(value)

    # -- operators -------------------------------------------------------

    def _A_Expr(self, value: Any) -> Key:  # noqa: N802
        from pglast import enums

        kind = value.kind
        operator = _names(value.name)
        op = operator[-1] if operator else ""
        left = self.node(value.lexpr) if value.lexpr is not None else None
        if kind == enums.A_Expr_Kind.AEXPR_OP:
            right = self.node(value.rexpr)
            if left is None or op not in _MIRRORED:
                return ("op", op, left, right)
            return _comparison(op, _uncast_integer(left), _uncast_integer(right))
        if kind in (enums.A_Expr_Kind.AEXPR_LIKE, enums.A_Expr_Kind.AEXPR_ILIKE):
            return ("op", op, left, self.node(value.rexpr))
        if kind == enums.A_Expr_Kind.AEXPR_IN:
            members = [self.node(item) for item in value.rexpr]
            return _membership(op, left, members)
        if kind in (enums.A_Expr_Kind.AEXPR_OP_ANY, enums.A_Expr_Kind.AEXPR_OP_ALL):
            right = self.node(value.rexpr)
            quantifier = "any" if kind == enums.A_Expr_Kind.AEXPR_OP_ANY else "all"
            if (
                isinstance(right, tuple)
                and right[:1] == ("array",)
                and (quantifier, op) in (("any", "="), ("all", "<>"))
            ):
                return _membership(op, left, list(right[1]))
            return (quantifier, op, left, right)
        if kind == enums.A_Expr_Kind.AEXPR_BETWEEN:
            low, high = (self.node(bound) for bound in value.rexpr)
            return _conjunction([_comparison(">=", left, low), _comparison("<=", left, high)])
        return self.generic(value)

    def _BoolExpr(self, value: Any) -> Key:  # noqa: N802
        from pglast import enums

        args = [self.node(arg) for arg in value.args]
        if value.boolop == enums.BoolExprType.AND_EXPR:
            return _conjunction(args)
        if value.boolop == enums.BoolExprType.OR_EXPR:
            return _disjunction(args)
        return ("not", tuple(args))


def _type_name(type_name: Any) -> str:
    names = _names(type_name.names)
    name = " ".join(names)
    return _TYPE_ALIASES.get(name, name)


def _uncast_integer(key: Key) -> Key:
    """An integer literal cast to bigint or unbounded numeric, as a comparison's operand:
    the comparison's outcome is the same with or without the cast. (Elsewhere the cast
    matters: ``1::numeric / 3`` is not ``1 / 3``.)"""
    if (
        isinstance(key, tuple)
        and key[:1] == ("cast",)
        and key[2] in ("int8", "numeric")
        and not key[3]  # no typmod
        and not key[4]
        and isinstance(key[1], tuple)
        and key[1][:2] == ("const", "Integer")
    ):
        return key[1]
    return key


def _is_string_literal(key: Key) -> bool:
    return isinstance(key, tuple) and key[:2] == ("const", "String")


def _is_text_column(key: Key, text_columns: frozenset[str]) -> bool:
    if not (isinstance(key, tuple) and key[:1] == ("column",)):
        return False
    fields = key[1]
    return isinstance(fields, tuple) and bool(fields) and fields[-1] in text_columns


def _comparison(op: str, left: Key, right: Key) -> Key:
    # The operand that sorts first goes left, so "0 < x" and "x > 0" agree.
    if repr(right) < repr(left):
        left, right, op = right, left, _MIRRORED[op]
    if op == "=" or op == "<>":
        left, right = sorted((left, right), key=repr)
    return ("op", op, left, right)


def _membership(op: str, left: Key, members: list[Key]) -> Key:
    """``left IN (members)`` (op "=") or ``NOT IN`` (op "<>"), the list as a set."""
    unique = sorted(set(members), key=repr)
    if len(unique) == 1:
        return _comparison(op, left, unique[0])
    return ("in" if op == "=" else "not in", left, tuple(unique))


def _conjunction(args: list[Key]) -> Key:
    flat: set[Key] = set()
    for arg in args:
        if isinstance(arg, tuple) and arg[:1] == ("and",):
            flat.update(arg[1])
        else:
            flat.add(arg)
    return ("and", tuple(sorted(flat, key=repr))) if len(flat) > 1 else next(iter(flat))


def _disjunction(args: list[Key]) -> Key:
    """OR as a set, with equalities on one operand gathered into one membership."""
    flat: list[Key] = []
    for arg in args:
        if isinstance(arg, tuple) and arg[:1] == ("or",):
            flat += list(arg[1])
        else:
            flat.append(arg)
    members: dict[Key, set[Key]] = {}
    others: set[Key] = set()
    for arg in flat:
        target = _equality_target(arg)
        if target is None:
            others.add(arg)
        else:
            subject, values = target
            members.setdefault(subject, set()).update(values)
    for subject, member_values in members.items():
        others.add(_membership("=", subject, list(member_values)))
    if len(others) == 1:
        return next(iter(others))
    return ("or", tuple(sorted(others, key=repr)))


def _equality_target(arg: Key) -> tuple[Key, list[Key]] | None:
    """(subject, values) when ``arg`` is ``subject = constant`` or ``subject IN (...)``."""
    if not isinstance(arg, tuple):
        return None
    if arg[:1] == ("in",):
        return arg[1], list(arg[2])
    if arg[:2] == ("op", "="):
        left, right = arg[2], arg[3]
        if _is_constant(right) and _is_column(left):
            return left, [right]
        if _is_constant(left) and _is_column(right):
            return right, [left]
    return None


def _is_column(key: Key) -> bool:
    """A column, or a cast of one: evaluating it twice or once gives the same value
    (a volatile call would not: ``random() = 1 OR random() = 2`` draws twice)."""
    while isinstance(key, tuple) and key[:1] == ("cast",):
        key = key[1]
    return isinstance(key, tuple) and key[:1] == ("column",)


def _is_constant(key: Key) -> bool:
    return isinstance(key, tuple) and key[:1] == ("const",)
