"""AD115: DETACH PARTITION without CONCURRENTLY locks the parent table ACCESS EXCLUSIVE.

``ALTER TABLE parent DETACH PARTITION p`` holds ACCESS EXCLUSIVE on the
partitioned table and on the partition until the migration commits: every
read and write of every partition waits. ``DETACH PARTITION p CONCURRENTLY``
takes SHARE UPDATE EXCLUSIVE on the parent and the partition instead (blocks
no reads or writes) and waits for the queries that use the partition, but
PostgreSQL refuses it inside a transaction (AD105): put it alone in a
``-- transactional: false`` migration, and if it is interrupted, complete it
with ``DETACH PARTITION p FINALIZE``. It is refused when the parent has a
default partition. ``DETACH PARTITION ... FINALIZE`` is fine. A parent
created by the same file is new: not reported.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import commands, relation
from astegni_db.lint.rules.base import Hit, Rule, claims
from astegni_db.lint.statements import Statement


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast, enums

    parent = ctx.existing_altered_table(statement)
    if parent is None:
        return
    for cmd, line in commands(statement):
        definition = cmd.def_
        if (
            cmd.subtype != enums.AlterTableType.AT_DetachPartition
            or not isinstance(definition, ast.PartitionCmd)
            or definition.concurrent
        ):
            continue
        partition = relation(definition.name) or "<partition>"
        yield Hit(
            line,
            f"DETACH PARTITION {partition} without CONCURRENTLY holds ACCESS EXCLUSIVE on "
            f"{parent} and on {partition} until the migration commits: reads and writes of "
            f"every partition of {parent} wait",
            f"ALTER TABLE {parent} DETACH PARTITION {partition} CONCURRENTLY, alone in a "
            "migration whose leading comment says `-- transactional: false` (SHARE UPDATE "
            f"EXCLUSIVE); if it is interrupted, DETACH PARTITION {partition} FINALIZE",
            claims(ctx.locks(statement), parent, partition),
        )


RULE = Rule(
    "AD115",
    "detach-partition-blocking",
    "DETACH PARTITION without CONCURRENTLY",
    statement_check=check,
)
