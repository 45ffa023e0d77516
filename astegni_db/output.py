"""Where output goes and how it looks: data on stdout, chatter and errors on stderr.

Rich is used only when the stream is a terminal and colour is allowed; piped
output is plain text a script can read, and JSON is always plain.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from astegni_db.errors import ConfigError


def color_allowed(no_color_flag: bool, stream: TextIO) -> bool:
    if no_color_flag or os.environ.get("NO_COLOR"):
        return False
    return stream.isatty()


@dataclass
class Ui:
    fmt: str = "text"  # "text" or "json" (verify adds "junit")
    no_color: bool = False
    wrote_json: bool = False  # stdout already holds a JSON document: never add a second

    @property
    def rich_out(self) -> bool:
        return self.fmt == "text" and color_allowed(self.no_color, sys.stdout)

    @property
    def rich_err(self) -> bool:
        return color_allowed(self.no_color, sys.stderr)

    def _console(self, stderr: bool) -> Any:
        from rich.console import Console

        return Console(stderr=stderr, highlight=False, soft_wrap=True)

    def say(self, message: str, style: str | None = None) -> None:
        """Progress and notes, for people: stderr."""
        if self.rich_err and style:
            from rich.markup import escape

            self._console(stderr=True).print(f"[{style}]{escape(message)}[/]")
        else:
            print(message, file=sys.stderr, flush=True)

    def out(self, message: str, style: str | None = None) -> None:
        """The command's result, for people: stdout."""
        if self.rich_out and style:
            from rich.markup import escape

            self._console(stderr=False).print(f"[{style}]{escape(message)}[/]")
        else:
            print(message, flush=True)

    def table(self, title: str, headers: list[str], rows: list[list[str]]) -> None:
        if self.rich_out:
            from rich.table import Table

            table = Table(title=title, title_justify="left")
            for h in headers:
                table.add_column(h, overflow="fold")  # ids must stay whole
            for r in rows:
                table.add_row(*r)
            self._console(stderr=False).print(table)
            return
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
        print(title)
        print("  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip())
        for r in rows:
            print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())

    def json(self, payload: dict[str, Any]) -> None:
        self.wrote_json = True
        json.dump(payload, sys.stdout, indent=2, default=str)
        sys.stdout.write("\n")
        sys.stdout.flush()


@contextmanager
def open_output(output: Path | None, stdout: TextIO | None = None) -> Iterator[TextIO]:
    """The --output file (created or truncated), else stdout, which stays open."""
    if output is None:
        yield stdout if stdout is not None else sys.stdout
        return
    try:
        stream = output.open("w", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}") from None
    with stream:
        yield stream
