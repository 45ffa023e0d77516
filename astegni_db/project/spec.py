"""The schema spec (checks/schema.toml): loaded once into immutable records.

The file is data only. Every key is validated here so that a typo
(``nulable = true``) is a one-line ConfigError naming the file and the key
path, never a check that silently stops checking.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

from astegni_db.errors import ConfigError

SPEC_FORMAT = 1

# pg_constraint.confdeltype / confupdtype letters, spelled the way SQL does.
REFERENTIAL_ACTIONS = ("no action", "restrict", "cascade", "set null", "set default")
# pg_constraint.confmatchtype 's' / 'f' (PostgreSQL has no MATCH PARTIAL).
MATCH_TYPES = ("simple", "full")
# pg_attribute.attidentity 'a' / 'd'.
IDENTITY_KINDS = ("always", "by default")


# The spec is immutable data: NamedTuples, which (unlike frozen dataclasses)
# cost next to nothing to define when the CLI starts.
class ColumnSpec(NamedTuple):
    name: str
    type: str  # format_type() spelling: "character varying(50)", "text[]", ...
    nullable: bool
    default: str | None = None  # pg_get_expr() spelling; None means "no default"
    serial: bool = False  # default is nextval() of a sequence owned by this column
    comment: str | None = None
    # A collation other than the type's default, spelled as SQL names it (see
    # collation_spelling); None means the type's default collation.
    collation: str | None = None
    identity: str | None = None  # "always" | "by default": GENERATED ... AS IDENTITY
    generated: str | None = None  # the expression of GENERATED ALWAYS AS (expr) STORED

    def describe_default(self) -> str:
        """What verify prints for the column's default: the text LiveColumn prints too."""
        if self.identity:
            return f"GENERATED {self.identity.upper()} AS IDENTITY"
        if self.generated:
            return f"GENERATED ALWAYS AS ({self.generated}) STORED"
        if self.serial:
            return "serial"
        return self.default or "no default"


class ForeignKeySpec(NamedTuple):
    columns: tuple[str, ...]
    references: str
    referenced_columns: tuple[str, ...]
    on_delete: str = "no action"
    on_update: str = "no action"
    deferrable: bool = False
    initially_deferred: bool = False  # only when deferrable
    match: str = "simple"  # MATCH SIMPLE | MATCH FULL


class IndexSpec(NamedTuple):
    # Key columns or expressions as pg_get_indexdef prints a key:
    # expr [COLLATE c] [opclass] [DESC] [NULLS FIRST|LAST], each part only when
    # it is not the default.
    columns: tuple[str, ...]
    unique: bool = False
    method: str = "btree"
    include: tuple[str, ...] = ()
    where: str | None = None
    nulls_not_distinct: bool = False

    def describe(self) -> str:
        text = f"{'unique ' if self.unique else ''}{self.method} ({', '.join(self.columns)})"
        if self.include:
            text += f" INCLUDE ({', '.join(self.include)})"
        if self.nulls_not_distinct:
            text += " NULLS NOT DISTINCT"
        if self.where:
            text += f" WHERE {self.where}"
        return text


class TableSpec(NamedTuple):
    name: str
    # A partial table (one the spec only references) is checked for what is
    # listed and nothing else: real databases have many more columns there.
    partial: bool = False
    columns: Mapping[str, ColumnSpec] = MappingProxyType({})
    primary_key: tuple[str, ...] | None = None
    foreign_keys: frozenset[ForeignKeySpec] = frozenset()
    checks: frozenset[str] = frozenset()  # normalised with normalise_check()
    indexes: frozenset[IndexSpec] = frozenset()
    comment: str | None = None


class Spec(NamedTuple):
    tables: Mapping[str, TableSpec]
    # Tables that must not exist, e.g. leftovers of the legacy rename scripts.
    unexpected_tables: tuple[str, ...] = ()
    # table -> column -> documented values; rows outside them are warnings.
    allowed_values: Mapping[str, Mapping[str, tuple[str, ...]]] = MappingProxyType({})


def normalise_check(definition: str) -> str:
    """The comparable form of a CHECK: pg_get_constraintdef(oid, true) minus its wrapping.

    Constraint names and NOT VALID are not part of a check's meaning
    (validation is reported on its own).
    """
    text = " ".join(definition.split())
    text = re.sub(r"\s+NOT VALID$", "", text)
    if text.upper().startswith("CHECK "):
        text = text[len("CHECK ") :]
    while _wrapped_in_parentheses(text):
        text = text[1:-1].strip()
    return text


def _wrapped_in_parentheses(text: str) -> bool:
    if not (text.startswith("(") and text.endswith(")")):
        return False
    depth = 0
    in_string = False
    for position, char in enumerate(text):
        if char == "'":
            in_string = not in_string
        elif not in_string and char == "(":
            depth += 1
        elif not in_string and char == ")":
            depth -= 1
            if depth == 0 and position != len(text) - 1:
                return False
    return True


# Patterns, not compiled regexes: compiling at import would cost every start of
# the CLI; re caches them on first use.
_BARE_IDENTIFIER = r"[a-z_][a-z0-9_$]*"
_IDENTIFIER_PART = r'"((?:[^"]|"")+)"|([^".]+)'


def collation_parts(spelling: str) -> tuple[str, ...] | None:
    """The names in a collation's SQL spelling: ``"C"`` and ``C`` -> ("C",),
    ``public."fr-x"`` -> ("public", "fr-x"); None when it does not read as one.

    Unquoted parts are taken as written, not folded to lower case: collation names
    are case-sensitive and are written as PostgreSQL lists them (C, POSIX, en_US).
    pg_catalog's collations are always visible, so their qualification is dropped.
    """
    parts = []
    position = 0
    text = spelling.strip()
    while True:
        match = re.compile(_IDENTIFIER_PART).match(text, position)
        if match is None:
            return None
        quoted, bare = match.groups()
        parts.append(quoted.replace('""', '"') if quoted is not None else bare.strip())
        position = match.end()
        if position == len(text):
            break
        if text[position] != "." or len(parts) == 2:
            return None
        position += 1
    if not all(parts):
        return None
    if len(parts) == 2 and parts[0] == "pg_catalog":
        parts = parts[1:]
    return tuple(parts)


def collation_spelling(parts: tuple[str, ...]) -> str:
    """The SQL spelling of a collation name: quoted unless a plain lower-case name."""
    return ".".join(
        part if re.fullmatch(_BARE_IDENTIFIER, part) else '"' + part.replace('"', '""') + '"'
        for part in parts
    )


def load_spec(path: Path) -> Spec:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"spec file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read spec file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return parse_spec(raw, source=str(path))


def parse_spec(raw: Mapping[str, Any], *, source: str) -> Spec:
    return _SpecReader(source).spec(raw)


class _SpecReader:
    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key_path: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.source}: {key_path}: {problem}")

    def keys(
        self, value: Any, key_path: str, *, required: set[str], optional: set[str]
    ) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key_path, f"expected a table, found {_kind(value)}")
        unknown = sorted(set(value) - required - optional)
        if unknown:
            raise self.fail(f"{key_path}.{unknown[0]}", "unknown key")
        missing = sorted(required - set(value))
        if missing:
            raise self.fail(f"{key_path}.{missing[0]}", "missing required key")
        return value

    def mapping(self, value: Any, key_path: str) -> Mapping[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(key_path, f"expected a table, found {_kind(value)}")
        return value

    def string(self, value: Any, key_path: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key_path, f"expected a non-empty string, found {_kind(value)}")
        return value

    def boolean(self, value: Any, key_path: str) -> bool:
        if not isinstance(value, bool):
            raise self.fail(key_path, f"expected true or false, found {_kind(value)}")
        return value

    def strings(self, value: Any, key_path: str, *, allow_empty: bool = True) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(key_path, f"expected a list of strings, found {_kind(value)}")
        if not value and not allow_empty:
            raise self.fail(key_path, "expected at least one entry")
        return tuple(self.string(item, f"{key_path}[{i}]") for i, item in enumerate(value))

    def list_of_tables(self, value: Any, key_path: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(key_path, f"expected a list, found {_kind(value)}")
        return value

    def spec(self, raw: Mapping[str, Any]) -> Spec:
        top = self.keys(
            raw,
            "(top level)",
            required={"format", "tables"},
            optional={"unexpected_tables", "allowed_values"},
        )
        if top["format"] != SPEC_FORMAT:
            raise self.fail("format", f"expected {SPEC_FORMAT}, found {top['format']!r}")
        tables_raw = self.mapping(top["tables"], "tables")
        if not tables_raw:
            raise self.fail("tables", "expected at least one table")
        tables = {name: self.table(name, body) for name, body in tables_raw.items()}
        unexpected = self.strings(top.get("unexpected_tables", []), "unexpected_tables")
        for i, name in enumerate(unexpected):
            if name in tables:
                raise self.fail(f"unexpected_tables[{i}]", f"{name} is also listed in tables")
        return Spec(
            tables=tables,
            unexpected_tables=unexpected,
            allowed_values=self.allowed_values(top.get("allowed_values", {}), tables),
        )

    def table(self, name: str, body: Any) -> TableSpec:
        path = f"tables.{name}"
        body = self.keys(
            body,
            path,
            required=set(),
            optional={
                "partial",
                "comment",
                "columns",
                "primary_key",
                "foreign_keys",
                "checks",
                "indexes",
            },
        )
        partial = self.boolean(body.get("partial", False), f"{path}.partial")
        if not partial and "columns" not in body:
            raise self.fail(f"{path}.columns", "missing required key (or set partial = true)")
        columns_raw = self.mapping(body.get("columns", {}), f"{path}.columns")
        columns = {
            column: self.column(column, spec, f"{path}.columns.{column}")
            for column, spec in columns_raw.items()
        }
        primary_key = None
        if "primary_key" in body:
            primary_key = self.strings(
                body["primary_key"], f"{path}.primary_key", allow_empty=False
            )
            if not partial:
                self.known_columns(primary_key, columns, f"{path}.primary_key")
        foreign_keys = frozenset(
            self.foreign_key(fk, f"{path}.foreign_keys[{i}]", columns, partial)
            for i, fk in enumerate(
                self.list_of_tables(body.get("foreign_keys", []), f"{path}.foreign_keys")
            )
        )
        checks = frozenset(
            normalise_check(self.string(check, f"{path}.checks[{i}]"))
            for i, check in enumerate(self.list_of_tables(body.get("checks", []), f"{path}.checks"))
        )
        indexes = frozenset(
            self.index(index, f"{path}.indexes[{i}]")
            for i, index in enumerate(
                self.list_of_tables(body.get("indexes", []), f"{path}.indexes")
            )
        )
        comment = body.get("comment")
        return TableSpec(
            name=name,
            partial=partial,
            columns=columns,
            primary_key=primary_key,
            foreign_keys=foreign_keys,
            checks=checks,
            indexes=indexes,
            comment=None if comment is None else self.string(comment, f"{path}.comment"),
        )

    def column(self, name: str, body: Any, path: str) -> ColumnSpec:
        body = self.keys(
            body,
            path,
            required={"type", "nullable"},
            optional={"default", "serial", "comment", "collation", "identity", "generated"},
        )
        serial = self.boolean(body.get("serial", False), f"{path}.serial")
        default = body.get("default")
        identity = body.get("identity")
        generated = body.get("generated")
        if default is not None:
            default = self.string(default, f"{path}.default")
            if serial:
                raise self.fail(f"{path}.default", "a serial column's default is implied")
            # Specs written before identity and generated had keys of their own spell
            # them as verify printed the default: read them as those keys.
            if identity is None and generated is None:
                identity, generated = _identity_or_generated(default)
                if identity is not None or generated is not None:
                    body = {key: value for key, value in body.items() if key != "default"}
                    default = None
        if identity is not None:
            identity = self.choice(identity, f"{path}.identity", IDENTITY_KINDS)
            for other in ("serial", "default"):
                if body.get(other) not in (None, False):
                    raise self.fail(f"{path}.identity", f"an identity column has no {other}")
        if generated is not None:
            generated = self.string(generated, f"{path}.generated")
            for other in ("serial", "default", "identity"):
                if body.get(other) not in (None, False):
                    raise self.fail(f"{path}.generated", f"a generated column has no {other}")
        comment = body.get("comment")
        if comment is not None:
            comment = self.string(comment, f"{path}.comment")
        collation = body.get("collation")
        if collation is not None:
            parts = collation_parts(self.string(collation, f"{path}.collation"))
            if parts is None:
                raise self.fail(
                    f"{path}.collation",
                    f"expected a collation name like C or en_US, found {collation!r}",
                )
            collation = collation_spelling(parts)
        return ColumnSpec(
            name=name,
            type=self.string(body["type"], f"{path}.type"),
            nullable=self.boolean(body["nullable"], f"{path}.nullable"),
            default=default,
            serial=serial,
            comment=comment,
            collation=collation,
            identity=identity,
            generated=generated,
        )

    def foreign_key(
        self, body: Any, path: str, columns: Mapping[str, ColumnSpec], partial: bool
    ) -> ForeignKeySpec:
        body = self.keys(
            body,
            path,
            required={"columns", "references", "referenced_columns"},
            optional={"on_delete", "on_update", "deferrable", "initially_deferred", "match"},
        )
        own = self.strings(body["columns"], f"{path}.columns", allow_empty=False)
        if not partial:
            self.known_columns(own, columns, f"{path}.columns")
        referenced = self.strings(
            body["referenced_columns"], f"{path}.referenced_columns", allow_empty=False
        )
        if len(referenced) != len(own):
            raise self.fail(f"{path}.referenced_columns", "must pair up with columns")
        deferrable = self.boolean(body.get("deferrable", False), f"{path}.deferrable")
        initially_deferred = self.boolean(
            body.get("initially_deferred", False), f"{path}.initially_deferred"
        )
        if initially_deferred and not deferrable:
            raise self.fail(f"{path}.initially_deferred", "requires deferrable = true")
        return ForeignKeySpec(
            columns=own,
            references=self.string(body["references"], f"{path}.references"),
            referenced_columns=referenced,
            on_delete=self.action(body.get("on_delete", "no action"), f"{path}.on_delete"),
            on_update=self.action(body.get("on_update", "no action"), f"{path}.on_update"),
            deferrable=deferrable,
            initially_deferred=initially_deferred,
            match=self.choice(body.get("match", "simple"), f"{path}.match", MATCH_TYPES),
        )

    def action(self, value: Any, path: str) -> str:
        return self.choice(value, path, REFERENTIAL_ACTIONS)

    def choice(self, value: Any, path: str, choices: tuple[str, ...]) -> str:
        text = " ".join(self.string(value, path).lower().split())
        if text not in choices:
            raise self.fail(path, f"expected one of {', '.join(choices)}; found {value!r}")
        return text

    def index(self, body: Any, path: str) -> IndexSpec:
        body = self.keys(
            body,
            path,
            required={"columns"},
            optional={"unique", "method", "include", "where", "nulls_not_distinct"},
        )
        where = body.get("where")
        return IndexSpec(
            columns=self.strings(body["columns"], f"{path}.columns", allow_empty=False),
            unique=self.boolean(body.get("unique", False), f"{path}.unique"),
            # An access method is an SQL name: USING GIN is USING gin.
            method=self.string(body.get("method", "btree"), f"{path}.method").strip().lower(),
            include=self.strings(body.get("include", []), f"{path}.include"),
            where=None if where is None else self.string(where, f"{path}.where"),
            nulls_not_distinct=self.boolean(
                body.get("nulls_not_distinct", False), f"{path}.nulls_not_distinct"
            ),
        )

    def known_columns(
        self, names: tuple[str, ...], columns: Mapping[str, ColumnSpec], path: str
    ) -> None:
        for i, name in enumerate(names):
            if name not in columns:
                raise self.fail(f"{path}[{i}]", f"{name} is not a column of this table")

    def allowed_values(
        self, raw: Any, tables: Mapping[str, TableSpec]
    ) -> dict[str, dict[str, tuple[str, ...]]]:
        by_table = self.keys(raw, "allowed_values", required=set(), optional=set(tables))
        result: dict[str, dict[str, tuple[str, ...]]] = {}
        for table, body in by_table.items():
            path = f"allowed_values.{table}"
            body = self.keys(body, path, required=set(), optional=set(tables[table].columns))
            result[table] = {
                column: self.strings(values, f"{path}.{column}", allow_empty=False)
                for column, values in body.items()
            }
        return result


def _identity_or_generated(default: str) -> tuple[str | None, str | None]:
    """("always" / "by default", None) for a default spelled ``GENERATED ... AS IDENTITY``,
    (None, expr) for ``GENERATED ALWAYS AS (expr) STORED``, else (None, None)."""
    text = " ".join(default.split())
    identity = re.fullmatch(r"GENERATED (ALWAYS|BY DEFAULT) AS IDENTITY", text, re.IGNORECASE)
    if identity:
        return identity.group(1).lower(), None
    generated = re.fullmatch(r"GENERATED ALWAYS AS \((.*)\) STORED", text, re.IGNORECASE)
    if generated:
        return None, generated.group(1)
    return None, None


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a table"
    return type(value).__name__
