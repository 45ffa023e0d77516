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
