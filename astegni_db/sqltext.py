"""SQL text to tokens, for the two places that must not load PostgreSQL's grammar.

Everything else reads SQL with astegni_db/sqlgrammar.py (pglast). This small
scanner stays because ``astegni-db verify`` must start within 1.25x the time of
``import psycopg``, and importing pglast alone costs ~60 ms. Its two callers:

- project/queries.py counts the statements of an application query file
  (PREPARE takes exactly one): ``split_on_semicolons``;
- verify/queries.py names the relations a query may lock when PREPARE waits
  for a lock (``_names_in``: every word and quoted identifier).

So it only has to tell apart what can hold a ``;`` or a name without being one:
comments are dropped, strings and dollar-quoted bodies are single tokens,
quoted identifiers keep their case and unquoted words fold to lower case.
Unterminated quotes and comments run to the end of the text (no error: the
server's PREPARE reports them).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Literal, NamedTuple

TokenKind = Literal["word", "ident", "string", "dollar", "number", "punct"]


# NamedTuples: cheaper to define than dataclasses (every CLI start pays for it).
class Token(NamedTuple):
    kind: TokenKind
    text: str  # words: as written; ident: unquoted; string/dollar: the content

    @property
    def name(self) -> str:
        """As an identifier: unquoted words fold to lower case, quoted ones do not."""
        return self.text.lower() if self.kind == "word" else self.text


class Lexed(NamedTuple):
    tokens: list[Token]


# Letters, "_" and every character U+0080-U+FFFF start a word; digits and "$"
# may follow. Written as "not the ASCII characters that cannot" because a class
# spanning U+0080-U+FFFF takes ~7 ms to compile, paid by every CLI start.
_WORD = re.compile(
    r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f\U00010000-\U0010ffff]"
    r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f\U00010000-\U0010ffff]*"
)
_NUMBER = re.compile(r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")


def lex(text: str) -> Lexed:
    """The tokens of ``text``, comments left out."""
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end
        elif text.startswith("/*", i):
            i = _comment_end(text, i)
        elif ch == "'" or (ch in "eE" and text.startswith("'", i + 1)):
            i = _string(text, i, tokens)
        elif ch == '"':
            end = text.find('"', i + 1)
            while end >= 0 and text.startswith('""', end):
                end = text.find('"', end + 2)
            end = n if end < 0 else end
            tokens.append(Token("ident", text[i + 1 : end].replace('""', '"')))
            i = end + 1
        elif ch == "$" and (m := _DOLLAR_TAG.match(text, i)):
            end = text.find(m.group(0), m.end())
            end = n if end < 0 else end
            tokens.append(Token("dollar", text[m.end() : end]))
            i = min(n, end + len(m.group(0)))
        elif m := _WORD.match(text, i):
            tokens.append(Token("word", m.group(0)))
            i = m.end()
        elif m := _NUMBER.match(text, i):
            tokens.append(Token("number", m.group(0)))
            i = m.end()
        else:
            tokens.append(Token("punct", ch))
            i += 1
    return Lexed(tokens)


def _comment_end(text: str, i: int) -> int:
    """Where the (nested, as PostgreSQL nests them) ``/* */`` comment at ``i`` ends."""
    depth, n = 0, len(text)
    while i < n:
        if text.startswith("/*", i):
            depth, i = depth + 1, i + 2
        elif text.startswith("*/", i):
            depth, i = depth - 1, i + 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def _string(text: str, i: int, tokens: list[Token]) -> int:
    """Append the '...' or E'...' string at ``i``; return where it ends."""
    escapes = text[i] != "'"
    j = i + (2 if escapes else 1)
    n = len(text)
    buf = []
    while j < n:
        c = text[j]
        if escapes and c == "\\" and j + 1 < n:
            buf.append(text[j : j + 2])
            j += 2
            continue
        if c == "'":
            if text.startswith("''", j):
                buf.append("'")
                j += 2
                continue
            j += 1
            break
        buf.append(c)
        j += 1
    tokens.append(Token("string", "".join(buf)))
    return j


def split_on_semicolons(tokens: list[Token]) -> Iterator[list[Token]]:
    """Token runs between top-level semicolons (strings and bodies are single tokens)."""
    current: list[Token] = []
    depth = 0
    for token in tokens:
        if token.kind == "punct" and token.text in "([":
            depth += 1
        elif token.kind == "punct" and token.text in ")]":
            depth = max(0, depth - 1)
        if token.kind == "punct" and token.text == ";" and depth == 0:
            if current:
                yield current
            current = []
            continue
        current.append(token)
    if current:
        yield current
