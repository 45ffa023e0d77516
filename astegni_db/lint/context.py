"""What the rules know while reading migrations in order: per file and across files."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, NamedTuple

from astegni_db.lint.locks import Locks, statement_locks, stronger
from astegni_db.lint.nodes import (
    added_column,
    added_constraint,
    alter_table,
    last_name,
    not_null_check_column,
    relation,
    walk,
)
from astegni_db.lint.readset import ReadSet
from astegni_db.lint.statements import ParsedMigration, Statement
from astegni_db.lint.types import SqlType, sql_type

if TYPE_CHECKING:
    from pglast import ast

# Who runs the files: astegni-db sets lock_timeout for every migration it runs;
# stock yoyo and psql set none.
Runner = Literal["astegni-db", "yoyo", "psql"]
RUNNERS: tuple[Runner, ...] = ("astegni-db", "yoyo", "psql")

_VOLATILITY = {"immutable": "i", "stable": "s", "volatile": "v"}


class AddedConstraint(NamedTuple):
    table: str
    locks: Locks  # what the ADD took; a later statement of the same transaction still holds it


@dataclass
class History:
    """Facts from the migrations read so far (earlier files and earlier statements)."""

    column_types: dict[tuple[str, str], SqlType] = field(default_factory=dict)
    # constraint name -> (table, column) for CHECK (column IS NOT NULL)
    not_null_checks: dict[str, tuple[str, str]] = field(default_factory=dict)
    validated_not_null: set[tuple[str, str]] = field(default_factory=set)
    # (table, constraint) -> a CHECK's expression; and which of them are validated (a
    # validated CHECK that implies a partition bound spares ATTACH PARTITION its scan)
    checks: dict[tuple[str, str], ast.Node] = field(default_factory=dict)
    validated_checks: set[tuple[str, str]] = field(default_factory=set)
    index_tables: dict[str, str] = field(default_factory=dict)  # index -> its table
    # (schema, function, its argument types) -> "i", "s" or "v", as CREATE/ALTER FUNCTION
    # declared; an unqualified name is taken to be in public, the default search_path's.
    functions: dict[tuple[str, str, str], str] = field(default_factory=dict)

    def declared_volatilities(self) -> dict[tuple[str, str], set[str]]:
        """(schema, function) -> the volatilities of its overloads."""
        found: dict[tuple[str, str], set[str]] = {}
        for (schema, name, _), volatility in self.functions.items():
            found.setdefault((schema, name), set()).add(volatility)
        return found

    def tables_using_type(self, type_name: str) -> list[str]:
        """Tables with a column of ``type_name`` (a domain), as far as the migrations say."""
        return sorted({table for (table, _), t in self.column_types.items() if t.base == type_name})


@dataclass
class FileContext:
    source: ParsedMigration
    read_set: ReadSet
    history: History
    runner: Runner = "astegni-db"
    # What this file creates (tables, views, sequences, indexes, domains): empty, unused.
    created: set[str] = field(default_factory=set)
    added_constraints: dict[str, AddedConstraint] = field(default_factory=dict)
    lock_timeout_set: bool = False  # a SET lock_timeout to a non-zero value ran earlier
    # In a transactional migration, the locks the statements so far took and still hold.
    held: Locks = field(default_factory=dict)

    def is_existing(self, name: str) -> bool:
        """Not created by this migration, so it may be large and busy."""
        return name not in self.created

    def existing_altered_table(self, statement: Statement) -> str | None:
        """The table of an ``ALTER TABLE`` statement, when it is an existing one."""
        altered = alter_table(statement.node)
        return altered[1] if altered is not None and self.is_existing(altered[1]) else None

    def locks(self, statement: Statement) -> Locks:
        return statement_locks(statement.node, self.history)

    def record(self, statement: Statement) -> None:
        """Remember what ``statement`` creates, after the rules have looked at it."""
        from pglast import ast

        node = statement.node
        if self.source.transactional:
            for name, mode in self.locks(statement).items():
                self.held[name] = stronger(self.held.get(name), mode)
        if isinstance(node, ast.CreateStmt):
            self._record_create_table(node)
        elif isinstance(node, ast.CreateTableAsStmt):
            into = node.into.rel if node.into is not None else None
            self._created(relation(into))
        elif isinstance(node, ast.ViewStmt):
            self._created(relation(node.view))
        elif isinstance(node, ast.CreateSeqStmt):
            self._created(relation(node.sequence))
        elif isinstance(node, ast.CreateDomainStmt):
            self._created(last_name(node.domainname))
        elif isinstance(node, ast.IndexStmt):
            table = relation(node.relation)
            if node.idxname and table:
                self._created(node.idxname)
                self.history.index_tables[node.idxname] = table
        elif isinstance(node, ast.DropStmt):
            self._record_drop(node)
        elif isinstance(node, ast.RenameStmt):
            self._record_rename(node)
        elif isinstance(node, ast.CreateFunctionStmt | ast.AlterFunctionStmt):
            self._record_function(node)
        altered = alter_table(node)
        if altered is not None:
            self._record_alter_table(*altered)
        if lock_timeout_value(node) not in (None, "0"):
            self.lock_timeout_set = True

    def _created(self, name: str | None) -> None:
        if name:
            self.created.add(name)

    def _record_create_table(self, node: ast.CreateStmt) -> None:
        from pglast import ast

        table = relation(node.relation)
        if not table:
            return
        self._created(table)
        for element in node.tableElts or ():
            if isinstance(element, ast.ColumnDef):
                self._remember_type(table, element.colname, element.typeName)
                for constraint in element.constraints or ():
                    if isinstance(constraint, ast.Constraint):
                        self._remember_not_null_check(table, constraint)
                        self._remember_check(table, constraint)
            elif isinstance(element, ast.Constraint):
                self._remember_not_null_check(table, element)
                self._remember_check(table, element)

    def _record_alter_table(self, node: ast.AlterTableStmt, table: str) -> None:
        from pglast import ast, enums

        for cmd in node.cmds or ():
            if not isinstance(cmd, ast.AlterTableCmd):
                continue
            column = added_column(cmd)
            if column is not None:
                self._remember_type(table, column.colname, column.typeName)
            if cmd.subtype == enums.AlterTableType.AT_AlterColumnType and isinstance(
                cmd.def_, ast.ColumnDef
            ):
                self._remember_type(table, cmd.name, cmd.def_.typeName)
            constraint = added_constraint(cmd)
            if constraint is not None:
                self._remember_not_null_check(table, constraint)
                self._remember_check(table, constraint)
            if constraint is not None and constraint.conname:
                locks = statement_locks(node, self.history)
                self.added_constraints[constraint.conname] = AddedConstraint(table, locks)
                if constraint.contype in (
                    enums.ConstrType.CONSTR_PRIMARY,
                    enums.ConstrType.CONSTR_UNIQUE,
                    enums.ConstrType.CONSTR_EXCLUSION,
                ):
                    self.history.index_tables[constraint.indexname or constraint.conname] = table
                self._remember_not_null_check(table, constraint)
            if cmd.subtype == enums.AlterTableType.AT_ValidateConstraint and cmd.name:
                target = self.history.not_null_checks.get(cmd.name)
                if target is not None:
                    self.history.validated_not_null.add(target)
                if (table, cmd.name) in self.history.checks:
                    self.history.validated_checks.add((table, cmd.name))
            if cmd.subtype == enums.AlterTableType.AT_DropConstraint and cmd.name:
                self.history.checks.pop((table, cmd.name), None)
                self.history.validated_checks.discard((table, cmd.name))

    def _remember_check(self, table: str, constraint: ast.Constraint) -> None:
        from pglast import enums

        if constraint.contype != enums.ConstrType.CONSTR_CHECK or constraint.raw_expr is None:
            return
        # An unnamed CHECK gets a name from the server that no later statement here can know.
        key = (table, constraint.conname or f"<unnamed {len(self.history.checks)}>")
        self.history.checks[key] = constraint.raw_expr
        if not constraint.skip_validation:
            self.history.validated_checks.add(key)

    def _remember_not_null_check(self, table: str, constraint: ast.Constraint) -> None:
        column = not_null_check_column(constraint)
        if column is None:
            return
        if constraint.conname:
            self.history.not_null_checks[constraint.conname] = (table, column)
        if not constraint.skip_validation:  # validated as it was added
            self.history.validated_not_null.add((table, column))

    def _record_drop(self, node: ast.DropStmt) -> None:
        from pglast import enums

        if node.removeType == enums.ObjectType.OBJECT_INDEX:
            for names in node.objects or ():
                self.history.index_tables.pop(last_name(names), None)

    def _record_rename(self, node: ast.RenameStmt) -> None:
        from pglast import enums

        old = relation(node.relation)
        if node.renameType == enums.ObjectType.OBJECT_INDEX and old and node.newname:
            table = self.history.index_tables.pop(old, None)
            if table is not None:
                self.history.index_tables[node.newname] = table

    def _record_function(self, node: ast.CreateFunctionStmt | ast.AlterFunctionStmt) -> None:
        from pglast import ast, enums

        if isinstance(node, ast.CreateFunctionStmt):
            schema, name = _function_name(node.funcname)
            outputs = (
                enums.FunctionParameterMode.FUNC_PARAM_OUT,
                enums.FunctionParameterMode.FUNC_PARAM_TABLE,
            )
            arguments: list[object] = [
                p.argType
                for p in node.parameters or ()
                if isinstance(p, ast.FunctionParameter) and p.mode not in outputs
            ]
            declared = _declared_volatility(node.options) or "v"  # PostgreSQL's default
            self.history.functions[(schema, name, _signature(arguments))] = declared
            return
        function = node.func
        changed = _declared_volatility(node.actions)
        if function is None or changed is None:
            return
        schema, name = _function_name(function.objname)
        if function.args_unspecified:
            for key in [k for k in self.history.functions if k[:2] == (schema, name)]:
                self.history.functions[key] = changed
        else:
            signature = _signature(list(function.objargs or ()))
            self.history.functions[(schema, name, signature)] = changed

    def _remember_type(self, table: str, column: str | None, node: ast.TypeName | None) -> None:
        parsed = sql_type(node)
        if column and parsed is not None:
            self.history.column_types[(table, column)] = parsed


def _function_name(names: tuple[object, ...] | None) -> tuple[str, str]:
    parts = [str(getattr(part, "sval", "")) for part in names or ()]
    return (parts[-2] if len(parts) > 1 else "public"), (parts[-1] if parts else "")


def _declared_volatility(options: tuple[object, ...] | None) -> str | None:
    from pglast import ast

    for option in options or ():
        if isinstance(option, ast.DefElem) and option.defname == "volatility":
            return _VOLATILITY.get(str(getattr(option.arg, "sval", "")).lower())
    return None


def _signature(arguments: list[object]) -> str:
    from pglast import ast

    return ",".join(str(sql_type(t)) if isinstance(t, ast.TypeName) else "?" for t in arguments)


def lock_timeout_value(node: ast.Node) -> str | None:
    """The value a statement gives lock_timeout ("0" for off/default/reset), else None."""
    from pglast import ast, enums

    if isinstance(node, ast.VariableSetStmt):
        kind = enums.VariableSetKind
        if node.kind == kind.VAR_RESET_ALL:
            return "0"
        if node.name != "lock_timeout":
            return None
        if node.kind in (kind.VAR_SET_DEFAULT, kind.VAR_RESET):
            return "0"
        if node.kind == kind.VAR_SET_VALUE and node.args:
            return _normalise_timeout(node.args[0])
        return None
    if not isinstance(node, ast.SelectStmt):
        return None
    for call in walk(node.targetList):  # SELECT set_config('lock_timeout', '0', ...)
        if isinstance(call, ast.FuncCall) and last_name(call.funcname) == "set_config":
            args = list(call.args or ())
            if args and _constant(args[0]) == "lock_timeout":
                return _normalise_timeout(args[1] if len(args) > 1 else None)
    return None


def _constant(node: object) -> str | None:
    from pglast import ast

    if isinstance(node, ast.A_Const) and not node.isnull and node.val is not None:
        value = node.val
        for attribute in ("sval", "ival", "fval"):
            if hasattr(value, attribute):
                return str(getattr(value, attribute) or 0)
    return None


def _normalise_timeout(node: object) -> str:
    text = (_constant(node) or "0").strip().lower()
    digits = text.rstrip("abcdefghijklmnopqrstuvwxyz ").strip()
    try:
        return "0" if float(digits or "0") == 0 else text
    except ValueError:
        return text
