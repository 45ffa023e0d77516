"""The table-level locks a statement takes on PostgreSQL 15, from its parse tree.

``statement_locks`` gives, for each relation the statement names (and, where
the migrations read so far say which table an index is on, that table), the
strongest lock mode the statement holds on it until the transaction ends.
The reference is PostgreSQL 15's "Explicit Locking" and "ALTER TABLE" pages
and tablecmds.c (AlterTableGetLockLevel); every mode here was measured on a
PostgreSQL 15 server by running the statement in a transaction and reading
pg_locks. Indexes, TOAST tables and partitions the statement also locks as a
consequence are not listed: findings speak of the relations they name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from astegni_db.lint.nodes import last_name, relation

if TYPE_CHECKING:
    from pglast import ast

    from astegni_db.lint.context import History

ACCESS_SHARE = "ACCESS SHARE"
ROW_SHARE = "ROW SHARE"
ROW_EXCLUSIVE = "ROW EXCLUSIVE"
SHARE_UPDATE_EXCLUSIVE = "SHARE UPDATE EXCLUSIVE"
SHARE = "SHARE"
SHARE_ROW_EXCLUSIVE = "SHARE ROW EXCLUSIVE"
EXCLUSIVE = "EXCLUSIVE"
ACCESS_EXCLUSIVE = "ACCESS EXCLUSIVE"
# PostgreSQL's numbering (lockdefs.h): LOCK ... IN n MODE is MODES[n - 1].
MODES = (
    ACCESS_SHARE,
    ROW_SHARE,
    ROW_EXCLUSIVE,
    SHARE_UPDATE_EXCLUSIVE,
    SHARE,
    SHARE_ROW_EXCLUSIVE,
    EXCLUSIVE,
    ACCESS_EXCLUSIVE,
)
_RANK = {mode: rank for rank, mode in enumerate(MODES, start=1)}

# Storage parameters whose change takes ACCESS EXCLUSIVE (reloptions.c); every
# other one takes SHARE UPDATE EXCLUSIVE.
_EXCLUSIVE_RELOPTIONS = frozenset(
    {"user_catalog_table", "security_barrier", "security_invoker", "check_option", "buffering"}
)
Locks = dict[str, str]  # relation -> the strongest mode held on it


def stronger(a: str | None, b: str) -> str:
    return b if a is None or _RANK[b] > _RANK[a] else a


def blocks_writes(mode: str) -> bool:
    """Conflicts with ROW EXCLUSIVE: INSERT, UPDATE and DELETE wait."""
    return _RANK[mode] >= _RANK[SHARE]


def blocks_reads(mode: str) -> bool:
    """Conflicts with ACCESS SHARE: even SELECT waits."""
    return mode == ACCESS_EXCLUSIVE


def who_waits(mode: str) -> str:
    if blocks_reads(mode):
        return "reads and writes wait"
    if blocks_writes(mode):
        return "writes wait, reads go on"
    return "reads and writes go on"


def statement_locks(node: ast.Node, history: History) -> Locks:
    """The relations ``node`` locks and the strongest mode on each (PostgreSQL 15)."""
    from pglast import ast

    locks: Locks = {}
    if isinstance(node, ast.AlterTableStmt):
        _alter_table(node, locks)
    elif isinstance(node, ast.IndexStmt):
        _add(locks, relation(node.relation), SHARE_UPDATE_EXCLUSIVE if node.concurrent else SHARE)
    elif isinstance(node, ast.DropStmt):
        _drop(node, history, locks)
    elif isinstance(node, ast.ReindexStmt):
        _reindex(node, history, locks)
    elif isinstance(node, ast.RenameStmt):
        _rename(node, locks)
    elif isinstance(node, ast.LockStmt):
        mode = MODES[(node.mode or 8) - 1]
        for rel in node.relations or ():
            _add(locks, relation(rel), mode)
    elif isinstance(node, ast.TruncateStmt):
        for rel in node.relations or ():
            _add(locks, relation(rel), ACCESS_EXCLUSIVE)
    elif isinstance(node, ast.ClusterStmt):
        _add(locks, relation(node.relation), ACCESS_EXCLUSIVE)
    elif isinstance(node, ast.VacuumStmt):
        _vacuum(node, locks)
    elif isinstance(node, ast.RefreshMatViewStmt):
        _add(locks, relation(node.relation), EXCLUSIVE if node.concurrent else ACCESS_EXCLUSIVE)
    elif isinstance(node, ast.CreateTrigStmt):
        _add(locks, relation(node.relation), SHARE_ROW_EXCLUSIVE)
    elif isinstance(node, ast.RuleStmt):
        _add(locks, relation(node.relation), ACCESS_EXCLUSIVE)
    elif isinstance(node, ast.CreatePolicyStmt | ast.AlterPolicyStmt):
        _add(locks, relation(node.table), ACCESS_EXCLUSIVE)
    elif isinstance(node, ast.CreateStmt):
        _create_table(node, locks)
    elif isinstance(node, ast.AlterDomainStmt):
        _alter_domain(node, history, locks)
    return locks


def alter_command_lock(cmd: ast.AlterTableCmd) -> str:
    """The lock one ALTER TABLE command needs on the table (AlterTableGetLockLevel)."""
    from pglast import ast, enums

    kind = enums.AlterTableType
    subtype = cmd.subtype
    if subtype in (
        kind.AT_SetStatistics,
        kind.AT_SetOptions,
        kind.AT_ResetOptions,
        kind.AT_ClusterOn,
        kind.AT_DropCluster,
        kind.AT_ValidateConstraint,
        kind.AT_AttachPartition,
        kind.AT_DetachPartitionFinalize,
    ):
        return SHARE_UPDATE_EXCLUSIVE
    if subtype in (
        kind.AT_EnableTrig,
        kind.AT_EnableAlwaysTrig,
        kind.AT_EnableReplicaTrig,
        kind.AT_EnableTrigAll,
        kind.AT_EnableTrigUser,
        kind.AT_DisableTrig,
        kind.AT_DisableTrigAll,
        kind.AT_DisableTrigUser,
    ):
        return SHARE_ROW_EXCLUSIVE
    if subtype == kind.AT_DetachPartition:
        concurrent = isinstance(cmd.def_, ast.PartitionCmd) and cmd.def_.concurrent
        return SHARE_UPDATE_EXCLUSIVE if concurrent else ACCESS_EXCLUSIVE
    if subtype == kind.AT_AddConstraint and isinstance(cmd.def_, ast.Constraint):
        foreign = cmd.def_.contype == enums.ConstrType.CONSTR_FOREIGN
        return SHARE_ROW_EXCLUSIVE if foreign else ACCESS_EXCLUSIVE
    if subtype in (kind.AT_SetRelOptions, kind.AT_ResetRelOptions):
        names = {getattr(option, "defname", None) for option in _options(cmd.def_)}
        return ACCESS_EXCLUSIVE if names & _EXCLUSIVE_RELOPTIONS else SHARE_UPDATE_EXCLUSIVE
    return ACCESS_EXCLUSIVE


def _alter_table(node: ast.AlterTableStmt, locks: Locks) -> None:
    from pglast import ast, enums

    target = relation(node.relation)
    for cmd in node.cmds or ():
        if not isinstance(cmd, ast.AlterTableCmd):
            continue
        _add(locks, target, alter_command_lock(cmd))
        definition = cmd.def_
        if isinstance(definition, ast.PartitionCmd):
            partition = relation(definition.name)
            if cmd.subtype == enums.AlterTableType.AT_AttachPartition:
                _add(locks, partition, ACCESS_EXCLUSIVE)
            elif cmd.subtype == enums.AlterTableType.AT_DetachPartition:
                _add(locks, partition, alter_command_lock(cmd))
        # A foreign key adds triggers to the referenced table too.
        for constraint in _constraints_of(definition):
            if constraint.contype == enums.ConstrType.CONSTR_FOREIGN:
                _add(locks, relation(constraint.pktable), SHARE_ROW_EXCLUSIVE)


def _drop(node: ast.DropStmt, history: History, locks: Locks) -> None:
    from pglast import enums

    kind = enums.ObjectType
    for names in node.objects or ():
        if not isinstance(names, tuple) or not names:
            continue
        if node.removeType in (
            kind.OBJECT_TABLE,
            kind.OBJECT_VIEW,
            kind.OBJECT_MATVIEW,
            kind.OBJECT_SEQUENCE,
            kind.OBJECT_FOREIGN_TABLE,
        ):
            _add(locks, last_name(names), ACCESS_EXCLUSIVE)
        elif node.removeType == kind.OBJECT_INDEX:
            mode = SHARE_UPDATE_EXCLUSIVE if node.concurrent else ACCESS_EXCLUSIVE
            index = last_name(names)
            _add(locks, history.index_tables.get(index), mode)
            _add(locks, index, mode)
        elif node.removeType in (kind.OBJECT_TRIGGER, kind.OBJECT_RULE, kind.OBJECT_POLICY):
            # (schema.)table.object: the table is locked
            _add(locks, last_name(names[:-1]), ACCESS_EXCLUSIVE)


def _reindex(node: ast.ReindexStmt, history: History, locks: Locks) -> None:
    from pglast import enums

    from astegni_db.lint.nodes import boolean_option, option_named

    option = option_named(node.params, "concurrently")
    concurrent = option is not None and boolean_option(option) is True
    name = relation(node.relation)
    if node.kind == enums.ReindexObjectType.REINDEX_OBJECT_INDEX:
        _add(
            locks,
            history.index_tables.get(name or ""),
            SHARE_UPDATE_EXCLUSIVE if concurrent else SHARE,
        )
        _add(locks, name, SHARE_UPDATE_EXCLUSIVE if concurrent else ACCESS_EXCLUSIVE)
    elif node.kind == enums.ReindexObjectType.REINDEX_OBJECT_TABLE:
        _add(locks, name, SHARE_UPDATE_EXCLUSIVE if concurrent else SHARE)


def _rename(node: ast.RenameStmt, locks: Locks) -> None:
    from pglast import enums

    # ALTER INDEX ... RENAME takes SHARE UPDATE EXCLUSIVE (PostgreSQL 12+); every other
    # rename of a relation, of a column or of a table constraint ACCESS EXCLUSIVE.
    kind = enums.ObjectType
    if node.relation is None:
        return
    if node.renameType == kind.OBJECT_INDEX:
        _add(locks, relation(node.relation), SHARE_UPDATE_EXCLUSIVE)
    elif node.renameType in (
        kind.OBJECT_TABLE,
        kind.OBJECT_VIEW,
        kind.OBJECT_MATVIEW,
        kind.OBJECT_SEQUENCE,
        kind.OBJECT_FOREIGN_TABLE,
        kind.OBJECT_COLUMN,
        kind.OBJECT_TABCONSTRAINT,
    ):
        _add(locks, relation(node.relation), ACCESS_EXCLUSIVE)


def _vacuum(node: ast.VacuumStmt, locks: Locks) -> None:
    from pglast import ast

    from astegni_db.lint.nodes import boolean_option, option_named

    full = option_named(node.options, "full")
    mode = (
        ACCESS_EXCLUSIVE
        if node.is_vacuumcmd and full is not None and boolean_option(full)
        else SHARE_UPDATE_EXCLUSIVE
    )
    for rel in node.rels or ():
        if isinstance(rel, ast.VacuumRelation):
            _add(locks, relation(rel.relation), mode)


def _create_table(node: ast.CreateStmt, locks: Locks) -> None:
    from pglast import ast, enums

    for parent in node.inhRelations or ():
        if isinstance(parent, ast.RangeVar):
            # PARTITION OF takes ACCESS EXCLUSIVE on the parent, INHERITS less.
            _add(
                locks,
                relation(parent),
                ACCESS_EXCLUSIVE if node.partbound else SHARE_UPDATE_EXCLUSIVE,
            )
    for element in node.tableElts or ():
        for constraint in _constraints_of(element):
            if constraint.contype == enums.ConstrType.CONSTR_FOREIGN:
                referenced = relation(constraint.pktable)
                if referenced != relation(node.relation):
                    _add(locks, referenced, SHARE_ROW_EXCLUSIVE)


def _alter_domain(node: ast.AlterDomainStmt, history: History, locks: Locks) -> None:
    from pglast import ast

    # Adding a validated constraint, validating one, or SET NOT NULL checks every column
    # of the domain under SHARE on its table (PostgreSQL 15's validateDomainConstraint).
    adds = node.subtype == "C" and isinstance(node.def_, ast.Constraint)
    checks = node.subtype in ("V", "O")  # VALIDATE CONSTRAINT, SET NOT NULL
    if (adds and not node.def_.skip_validation) or checks:  # type: ignore[union-attr]
        for table in history.tables_using_type(last_name(node.typeName)):
            _add(locks, table, SHARE)


def _constraints_of(definition: Any) -> list[ast.Constraint]:
    """The constraints an ALTER TABLE command or a CREATE TABLE element adds."""
    from pglast import ast

    if isinstance(definition, ast.Constraint):
        return [definition]
    if isinstance(definition, ast.ColumnDef):
        return [c for c in definition.constraints or () if isinstance(c, ast.Constraint)]
    return []


def _options(definition: Any) -> tuple[Any, ...]:
    return definition if isinstance(definition, tuple) else ()


def _add(locks: Locks, name: str | None, mode: str) -> None:
    if name:
        locks[name] = stronger(locks.get(name), mode)
