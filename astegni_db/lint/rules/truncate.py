"""AD118: TRUNCATE of an existing table deletes every row, under ACCESS EXCLUSIVE.

TRUNCATE empties each table it names (a partitioned table: every partition;
without ONLY, the tables inheriting from it too) with no WHERE and no way
back once the migration commits, and holds ACCESS EXCLUSIVE on each until
the migration commits: every read and write of it waits meanwhile.
``CASCADE`` also empties every table with a foreign key to one of them (each
under ACCESS EXCLUSIVE too; lint names only the tables the statement names),
and ``RESTART IDENTITY`` resets their sequences. Its work is small (new empty
files), so in a ``-- transactional: false`` migration the lock lasts a moment:
the lost rows are the finding there. A table created by the same file is
new: not reported. When checks/ says the application reads the table, the
message says so.
"""

from __future__ import annotations

from collections.abc import Iterator

from astegni_db.lint.context import FileContext
from astegni_db.lint.nodes import relation
from astegni_db.lint.rules.base import Hit, Rule, claims
from astegni_db.lint.statements import Statement


def check(statement: Statement, ctx: FileContext) -> Iterator[Hit]:
    from pglast import ast, enums

    node = statement.node
    if not isinstance(node, ast.TruncateStmt):
        return
    named = [(relation(r), r.inh) for r in node.relations or () if isinstance(r, ast.RangeVar)]
    existing = [name for name, _ in named if name and ctx.is_existing(name)]
    if not existing:
        return
    names = ", ".join(existing)
    notes = []
    if node.behavior == enums.DropBehavior.DROP_CASCADE:
        notes.append(
            f"CASCADE also empties every table with a foreign key to {names}, each under "
            "ACCESS EXCLUSIVE"
        )
    if node.restart_seqs:
        notes.append("RESTART IDENTITY resets their sequences")
    if any(not inherited for name, inherited in named if name in existing):
        notes.append("ONLY leaves the tables inheriting from them as they are")
    readers = [
        f"{t} ({ctx.read_set.table_reader(t)})" for t in existing if ctx.read_set.table_reader(t)
    ]
    if readers:
        notes.append(f"the application reads {', '.join(readers)}")
    held = (
        "holds ACCESS EXCLUSIVE until the migration commits: reads and writes wait"
        if ctx.source.transactional
        else "takes ACCESS EXCLUSIVE for a moment"
    )
    yield Hit(
        statement.line,
        f"TRUNCATE deletes every row of {names}, with no WHERE and no undo once it "
        f"commits, and {held}" + "".join(f"; {note}" for note in notes),
        "if emptying it is what this release needs, silence this finding with the reason "
        "(`-- astegni-db: ignore AD118 ...`); to remove rows while the application runs: "
        "DELETE ... WHERE ... in batches (ROW EXCLUSIVE: reads and writes go on)",
        claims(ctx.locks(statement), *existing),
    )


RULE = Rule(
    "AD118",
    "truncate-existing-table",
    "TRUNCATE of an existing table: every row is deleted, under ACCESS EXCLUSIVE",
    statement_check=check,
)
