"""AD110: a migration without a .rollback.sql file cannot be rolled back.

`astegni-db rollback` refuses it, and `astegni-db check` cannot prove the
migration reversible, so a bad deploy has no way back but a restore.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.rules.base import Hit, Rule


def check_file(ctx: FileContext) -> Iterator[Hit]:
    source = ctx.source
    if not source.has_rollback:
        yield Hit(
            1,
            f"{source.path.name} has no {source.rollback_path.name}: `astegni-db rollback` "
            "refuses it and `astegni-db check` cannot prove it reversible",
            f"add {source.rollback_path.name} undoing it (without losing data: refuse with "
            "RAISE EXCEPTION when rows would be lost); if it truly cannot be undone, say why "
            "in the leading comment with `-- astegni-db: ignore AD110`",
        )


RULE = Rule(
    "AD110",
    "missing-rollback",
    "migration without a .rollback.sql file",
    file_check=check_file,
)
