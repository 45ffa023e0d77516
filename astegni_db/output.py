"""Where output goes and how it looks: data on stdout, chatter and errors on stderr.

Rich is imported only when a stream is a terminal and colour is allowed;
piped output is plain text a script can read, and JSON is always plain.
Streams are looked up when written to, not when the Ui is made, so a test
runner that swaps ``sys.stdout`` (click's CliRunner) sees everything.

Nothing is written here without going through the redactor
(:func:`astegni_db.settings.redact`): every :class:`Ui` method applies it, and
:func:`write_rendered` applies it to whatever a writer produced (JSON, JUnit,
a rich table) before it reaches the stream.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from astegni_db.errors import ConfigError
from astegni_db.settings import redact


def color_allowed(no_color_flag: bool, stream: TextIO) -> bool:
    if no_color_flag or os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


@dataclass
class Ui:
    no_color: bool = False
    stdout: TextIO | None = None  # None: sys.stdout at the moment of writing
    # The result on stdout is a credential on purpose (`dev url`): only then is it
    # written unredacted. Chatter on stderr is always redacted.
    reveal: bool = False

    def _shown(self, text: str) -> str:
        return text if self.reveal else redact(text)

    @property
    def out_stream(self) -> TextIO:
        return self.stdout if self.stdout is not None else sys.stdout

    @property
    def rich_out(self) -> bool:
        return color_allowed(self.no_color, self.out_stream)

    @property
    def rich_err(self) -> bool:
        return color_allowed(self.no_color, sys.stderr)

    def _console(self, stream: TextIO) -> Any:
        from rich.console import Console

        return Console(file=stream, highlight=False, soft_wrap=True)

    def say(self, message: str, style: str | None = None) -> None:
        """Progress and notes, for people: stderr."""
        self._print(sys.stderr, self.rich_err, redact(message), style)

    def out(self, message: str, style: str | None = None) -> None:
        """The command's result: stdout (or the --output file)."""
        self._print(self.out_stream, self.rich_out, self._shown(message), style)

    def _print(self, stream: TextIO, rich: bool, message: str, style: str | None) -> None:
        if rich and style:
            from rich.markup import escape

            self._console(stream).print(f"[{style}]{escape(message)}[/]")
        else:
            stream.write(message + "\n")
            stream.flush()

    def write(self, text: str) -> None:
        """Text exactly as given (SQL, TOML, a machine-readable document)."""
        self.out_stream.write(self._shown(text))
        self.out_stream.flush()

    def table(self, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
        title, headers = self._shown(title), [self._shown(h) for h in headers]
        rows = [[self._shown(cell) for cell in row] for row in rows]
        if self.rich_out:
            from rich.table import Table

            table = Table(title=title, title_justify="left")
            for h in headers:
                table.add_column(h, overflow="fold")  # ids must stay whole
            for r in rows:
                table.add_row(*r)
            self._console(self.out_stream).print(table)
            return
        # max() of one int fails: a table may have no rows (a fleet's empty --shard).
        widths = [max([len(h), *(len(r[i]) for r in rows)]) for i, h in enumerate(headers)]
        lines = [title, "  ".join(h.upper().ljust(w) for h, w in zip(headers, widths, strict=True))]
        lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
        self.write("".join(line.rstrip() + "\n" for line in lines))


@contextmanager
def open_output(output: Path | None, stdout: TextIO | None = None) -> Iterator[TextIO]:
    """The --output/--junit file (created or truncated, its directory too), else stdout.

    The directory is created because CI steps name report files under a
    directory nothing else made yet (`--junit reports/check.xml`).
    """
    if output is None:
        yield stdout if stdout is not None else sys.stdout
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        stream = output.open("w", encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror}") from None
    with stream:
        yield stream


class _Rendering(io.StringIO):
    """Where a report is rendered before it is redacted: a terminal if ``stream`` is one,
    so rich output looks the same as when written straight to it."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self._stream = stream

    def isatty(self) -> bool:
        isatty = getattr(self._stream, "isatty", None)
        return bool(isatty and isatty())


def write_rendered(
    stream: TextIO, render: Callable[[TextIO], None], *, reveal: bool = False
) -> None:
    """Let ``render`` write into memory, then write that text to ``stream``, redacted.

    Redacting the whole text, not each write, is what keeps a password whole
    while it is found: JSON and XML writers emit a value in several pieces, and
    they escape it (``\"``, ``&quot;``), which the redactor knows how to spell.
    """
    rendering = _Rendering(stream)
    render(rendering)
    text = rendering.getvalue()
    stream.write(text if reveal else redact(text))
    stream.flush()
