"""Which functions a column default may call without PostgreSQL rewriting the table.

ADD COLUMN evaluates a non-volatile default once and stores the value in the
catalog; a volatile one is evaluated for every existing row, which rewrites
the table. PostgreSQL decides by the volatility of every function the
expression calls (contain_volatile_functions), so this module does the same:

- built-in functions: PostgreSQL 15's pg_catalog, read from
  pg15_function_volatility.txt (generated from a real server's pg_proc; the
  test in tests/test_lint_facts.py fails when the file is stale). A name whose
  overloads differ (``iv``) counts as volatile: lint does not resolve overloads;
- functions the migrations create (CREATE [OR REPLACE] FUNCTION, ALTER
  FUNCTION), in earlier files or earlier in the same file: as declared, and
  VOLATILE when nothing is declared, as PostgreSQL defaults. A name without a
  schema is taken to be public's; an unqualified call may reach a built-in or
  public's function, and counts as volatile if any of them is;
- any other function is unknown and counts as volatile.

SQL value functions (CURRENT_TIMESTAMP, CURRENT_USER, ...) are stable. A cast
of a constant calls the type's input function, which is immutable or stable
for every built-in type. No pg_catalog operator is implemented by a volatile
function (checked when the file was generated), so operators are not looked at.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pglast import ast

CATALOG_FILE = Path(__file__).with_name("pg15_function_volatility.txt")
# What the file is generated from; tests/test_lint_facts.py runs it on a server.
CATALOG_QUERY = (
    "SELECT proname, provolatile FROM pg_proc WHERE pronamespace = 'pg_catalog'::regnamespace"
)
_HEADER = """\
# PostgreSQL 15's built-in functions (schema pg_catalog), one name a line, with
# the volatilities of its overloads: i immutable, s stable, v volatile.
# Generated from pg_proc by `python -m tests.test_lint_facts URL` (URL: a
# PostgreSQL 15 server); tests/test_lint_facts.py fails when it is stale.
"""
VOLATILE = "v"


def render_catalog(rows: Iterable[tuple[str, str]]) -> str:
    """The data file's text for ``rows`` of CATALOG_QUERY."""
    found: dict[str, set[str]] = {}
    for name, volatility in rows:
        found.setdefault(name, set()).add(volatility)
    lines = [f"{name} {''.join(sorted(kinds))}" for name, kinds in sorted(found.items())]
    return _HEADER + "\n".join(lines) + "\n"


@cache
def builtin_volatilities() -> dict[str, str]:
    """pg_catalog function name -> the volatilities of its overloads ("i", "is", "v" ...)."""
    found = {}
    for line in CATALOG_FILE.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            name, kinds = line.split(" ")
            found[name] = kinds
    return found


def function_name(call: ast.FuncCall) -> tuple[str | None, str]:
    """(schema or None, name) of a function call."""
    parts = [getattr(part, "sval", "") for part in call.funcname or ()]
    return (parts[-2] if len(parts) > 1 else None), parts[-1] if parts else ""


def volatile_call(
    expression: ast.Node | None, declared: dict[tuple[str, str], set[str]]
) -> tuple[str, str] | None:
    """The first function ``expression`` calls that is not known to be immutable or
    stable, with why: (name, "volatile" | "unknown"); None when every call is safe.

    ``declared``: (schema, function) -> volatilities of the overloads the migrations
    created; an unqualified call may reach public's as well as pg_catalog's."""
    for call in _calls(expression):
        schema, name = function_name(call)
        kinds: set[str] = set()
        if schema in (None, "pg_catalog"):
            kinds |= set(builtin_volatilities().get(name, ""))
        if schema != "pg_catalog":
            kinds |= declared.get((schema or "public", name), set())
        if not kinds:
            return name, "unknown"
        if VOLATILE in kinds:
            return name, "volatile"
    return None


def _calls(expression: ast.Node | None) -> Iterator[ast.FuncCall]:
    """Every function call in an expression tree, outermost first."""
    from pglast import ast

    from astegni_db.lint.nodes import walk

    return (node for node in walk(expression) if isinstance(node, ast.FuncCall))
