"""Every command has help and is documented; the README's exit-code table is the code's."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from astegni_db.cli import cli
from astegni_db.errors import ExitCode

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()


def all_commands(group: click.Group = cli, prefix: str = "") -> list[tuple[str, click.Command]]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        found.append((path, command))
        if isinstance(command, click.Group):
            found += all_commands(command, prefix=f"{path} ")
    return found


@pytest.mark.parametrize(("path", "command"), all_commands(), ids=lambda v: str(v))
def test_every_command_has_help_and_is_in_the_readme(path: str, command: click.Command) -> None:
    assert command.help and len(command.help.split()) >= 5, f"{path} has no real help text"
    assert f"astegni-db {path}" in README, f"`astegni-db {path}` is not documented in README.md"
    result = CliRunner().invoke(cli, [*path.split(), "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_readme_exit_code_table_matches_the_code() -> None:
    table = dict(re.findall(r"^\| (\d) \| (.+?) \|$", README, flags=re.MULTILINE))
    assert sorted(int(code) for code in table) == sorted(int(code) for code in ExitCode)


def test_unknown_flag_is_a_usage_error_not_a_run() -> None:
    result = CliRunner().invoke(cli, ["migrate", "--dry-runn"])
    assert result.exit_code == 2 and "No such option" in result.output
    result = CliRunner().invoke(cli, ["migrate", "--dry-run=yes"])
    assert result.exit_code == 2


@pytest.mark.parametrize(("path", "command"), all_commands(), ids=lambda v: str(v))
def test_no_color_is_accepted_after_every_command(path: str, command: click.Command) -> None:
    result = CliRunner().invoke(cli, [*path.split(), "--no-color", "--help"])
    assert result.exit_code == 0, result.output


# --- every flag the docs name exists ---------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
# Where users read commands: the docs, and the CI files they copy from. (CHANGELOG
# is history: it may name what is gone.)
DOC_FILES = [
    ROOT / "README.md",
    ROOT / "ARCHITECTURE.md",
    *sorted((ROOT / "docs").glob("*.md")),
    ROOT / "action.yml",
    ROOT / ".gitlab-ci.yml",
    *sorted((ROOT / "gitlab").glob("*.yml")),
    *sorted((ROOT / ".github" / "workflows").glob("*.yml")),
    ROOT / "Makefile",
    ROOT / ".ci" / "run",
]
# An invocation runs to the end of its code span, line or shell command.
_TAIL = r"([^`|;&#)\n]*)"
_ASTEGNI_DB = re.compile(r"(?<![\w./-])astegni-db\s+" + _TAIL)
_SCRIPT = re.compile(r"python3?\s+((?:benchmarks|\.ci|tests)/[\w-]+\.py)\b" + _TAIL)
_PLUGIN_FLAG = re.compile(r"(?<![\w-])(--astegni-db[\w-]*)")
_FLAG = re.compile(r"^(--[a-z][\w-]*)")


def _doc_text(path: Path) -> str:
    return path.read_text().replace("\\\n", " ")  # shell line continuations


def _flags(tail: str) -> list[str]:
    return [m.group(1) for m in map(_FLAG.match, tail.split()) if m]


def _options(command: click.Command) -> set[str]:
    every = {"--help", "-h"}  # click adds the help option outside params
    return every | {o for p in command.params for o in (*p.opts, *p.secondary_opts)}


def _resolve(tail: str) -> tuple[str, click.Command, list[str]]:
    """The subcommand a documented invocation names, and its remaining words."""
    command: click.Command = cli
    path: list[str] = []
    words = tail.split()
    while isinstance(command, click.Group) and words and words[0] in command.commands:
        path.append(words[0])
        command = command.commands[words.pop(0)]
    return " ".join(path), command, words


def documented_invocations() -> list[tuple[str, str, str]]:
    found = []
    for doc in DOC_FILES:
        for match in _ASTEGNI_DB.finditer(_doc_text(doc)):
            path, _, rest = _resolve(match.group(1))
            found += [(doc.name, path, flag) for flag in _flags(" ".join(rest))]
    return found


def test_the_docs_name_astegni_db_invocations() -> None:
    """The scan below finds what it should: a broken pattern would pass everything."""
    seen = {(path, flag) for _, path, flag in documented_invocations()}
    assert {("check", "--from-dump"), ("verify", "--junit"), ("lint", "--format")} <= seen
    assert len(seen) > 20


@pytest.mark.parametrize(("doc", "path", "flag"), sorted(set(documented_invocations())))
def test_every_documented_flag_exists(doc: str, path: str, flag: str) -> None:
    _, command, _ = _resolve(path)
    # A group's own options come before its subcommand; after it, the subcommand's.
    allowed = _options(command) | (_options(cli) if command is cli else set())
    assert flag.split("=")[0] in allowed, f"{doc}: `astegni-db {path} {flag}` is not an option"


def test_every_documented_script_flag_exists() -> None:
    checked = 0
    for doc in DOC_FILES:
        for match in _SCRIPT.finditer(_doc_text(doc)):
            script = ROOT / match.group(1)
            assert script.is_file(), f"{doc.name} names {match.group(1)}, which does not exist"
            source = script.read_text()
            for flag in _flags(match.group(2)):
                checked += 1
                assert f'"{flag.split("=")[0]}"' in source, (
                    f"{doc.name}: {match.group(1)} has no option {flag}"
                )
    assert checked >= 5


def test_every_documented_pytest_plugin_flag_exists() -> None:
    plugin = (ROOT / "astegni_db" / "pytest_plugin.py").read_text()
    named = {m.group(1) for doc in DOC_FILES for m in _PLUGIN_FLAG.finditer(_doc_text(doc))}
    assert named, "the docs name the plugin's options"
    for flag in named:
        assert f'"{flag}"' in plugin, f"the pytest plugin has no option {flag}"


# Other tools' flags the docs name, and whose they are.
FOREIGN_FLAGS = {
    "--assume-in-transaction": "squawk",
    "--pg-version": "squawk",
    "--exit-code": "dbmate status",
    "--include": "debootstrap",
    "--variant": "debootstrap",
    "--storage-driver": "dockerd",
    "--log-prefix": "pgbench",
    "--most": "duplicates",
}


def test_every_flag_named_in_prose_is_ours_or_a_named_tools() -> None:
    """A flag mentioned anywhere in the docs, not only in a full invocation: an
    astegni-db option, the pytest plugin's, a repository script's, or another
    tool's listed above. Renaming an option without the docs fails here."""
    ours: set[str] = set()
    for _, command in [("", cli), *all_commands()]:
        ours |= _options(command)
    scripts = [*(ROOT / "benchmarks").glob("*.py"), *(ROOT / ".ci").glob("*.py")]
    scripts += [ROOT / "tests" / "legacy_states.py", ROOT / "astegni_db" / "pytest_plugin.py"]
    literals = "".join(path.read_text() for path in scripts)
    unknown = {}
    for doc in DOC_FILES:
        if doc.suffix != ".md":
            continue
        for match in re.finditer(r"(?<![\w-])(--[a-z][a-z0-9-]+)", doc.read_text()):
            flag = match.group(1)
            if flag in ours or flag in FOREIGN_FLAGS or f'"{flag}"' in literals:
                continue
            unknown.setdefault(flag, doc.name)
    assert not unknown, f"flags the docs name that nothing has: {unknown}"
