"""SQL text to tokens, just enough to find statements, names and keywords.

Used by the lint rules and by the application-query reader. Migration files
are split into statements by project.migration_files.split_statements,
exactly where yoyo cuts them (``$$`` bodies included); each statement is then
tokenized here: comments are dropped (but kept aside, for silencing
comments), strings and dollar-quoted bodies become single tokens, and every
token knows its line in the file. No SQL grammar is involved: rules match
short keyword sequences, which is robust to the SQL we do not understand.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, NamedTuple

TokenKind = Literal["word", "ident", "string", "dollar", "number", "punct"]


# NamedTuples: cheaper to define than dataclasses (every CLI start pays for it).
class Token(NamedTuple):
    kind: TokenKind
    text: str  # words: as written; ident: unquoted; string/dollar: the content
    line: int

    @property
    def upper(self) -> str:
        return self.text.upper() if self.kind == "word" else ""

    @property
    def name(self) -> str:
        """As an identifier: unquoted words fold to lower case, quoted ones do not."""
        return self.text.lower() if self.kind == "word" else self.text

    def is_(self, *words: str) -> bool:
        return self.kind == "word" and self.text.upper() in words


class Comment(NamedTuple):
    line: int
    text: str
    own_line: bool  # nothing but whitespace before it on its line


@dataclass
class Lexed:
    tokens: list[Token] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)


# Letters, "_" and every character U+0080-U+FFFF start a word; digits and "$"
# may follow. Written as "not the ASCII characters that cannot" because a class
# spanning U+0080-U+FFFF takes ~7 ms to compile, paid by every CLI start.
_WORD = re.compile(
    r"[^\x00-\x40\x5b-\x5e\x60\x7b-\x7f\U00010000-\U0010ffff]"
    r"[^\x00-\x23\x25-\x2f\x3a-\x40\x5b-\x5e\x60\x7b-\x7f\U00010000-\U0010ffff]*"
)
_NUMBER = re.compile(r"\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*)?\$")
_OPERATOR = re.compile(r"::|[<>=!~+\-*/%^&|#@?]+")


def lex(text: str, first_line: int = 1) -> Lexed:
    """Tokens and comments of ``text``; unterminated quotes run to the end (no error)."""
    out = Lexed()
    i, line, n = 0, first_line, len(text)
    line_start = 0
    while i < n:
        ch = text[i]
        if ch == "\n":
            line += 1
            i += 1
            line_start = i
        elif ch.isspace():
            i += 1
        elif text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            own = not text[line_start:i].strip()
            out.comments.append(Comment(line, text[i + 2 : end].strip(), own))
            i = end
        elif text.startswith("/*", i):
            end, depth, j = n, 0, i
            while j < n:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                    if depth == 0:
                        end = j
                        break
                else:
                    j += 1
            body = text[i:end]
            own = not text[line_start:i].strip()
            out.comments.append(Comment(line, body[2:-2].strip(), own))
            line += body.count("\n")
            i = end
        elif ch == "'" or (ch in "eE" and text.startswith("'", i + 1)):
            start_line = line
            escapes = ch != "'"
            j = i + (2 if escapes else 1)
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
            content = "".join(buf)
            line += content.count("\n")
            out.tokens.append(Token("string", content, start_line))
            i = j
        elif ch == '"':
            end = text.find('"', i + 1)
            while end >= 0 and text.startswith('""', end):
                end = text.find('"', end + 2)
            end = n if end < 0 else end
            content = text[i + 1 : end].replace('""', '"')
            out.tokens.append(Token("ident", content, line))
            line += content.count("\n")
            i = end + 1
        elif ch == "$" and (m := _DOLLAR_TAG.match(text, i)):
            tag = m.group(0)
            end = text.find(tag, m.end())
            end = n if end < 0 else end
            content = text[m.end() : end]
            out.tokens.append(Token("dollar", content, line))
            line += text[i:end].count("\n")
            i = min(n, end + len(tag))
        elif m := _WORD.match(text, i):
            out.tokens.append(Token("word", m.group(0), line))
            i = m.end()
        elif m := _NUMBER.match(text, i):
            out.tokens.append(Token("number", m.group(0), line))
            i = m.end()
        elif m := _OPERATOR.match(text, i):
            out.tokens.append(Token("punct", m.group(0), line))
            i = m.end()
        else:
            out.tokens.append(Token("punct", ch, line))
            i += 1
    return out


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


def split_commas(tokens: list[Token]) -> list[list[Token]]:
    """``tokens`` cut at commas outside parentheses (the actions of an ALTER TABLE)."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for token in tokens:
        if token.kind == "punct" and token.text in "([":
            depth += 1
        elif token.kind == "punct" and token.text in ")]":
            depth = max(0, depth - 1)
        if token.kind == "punct" and token.text == "," and depth == 0:
            parts.append([])
            continue
        parts[-1].append(token)
    return [p for p in parts if p]


def read_name(tokens: list[Token], i: int) -> tuple[str | None, int]:
    """A possibly schema-qualified name at ``i``: (last part, index after it)."""
    if i >= len(tokens) or tokens[i].kind not in ("word", "ident"):
        return None, i
    name = tokens[i].name
    i += 1
    while (
        i + 1 < len(tokens)
        and tokens[i].kind == "punct"
        and tokens[i].text == "."
        and tokens[i + 1].kind in ("word", "ident")
    ):
        name = tokens[i + 1].name
        i += 2
    return name, i


def skip_words(tokens: list[Token], i: int, *words: str) -> int:
    """Advance past any of ``words`` (IF NOT EXISTS, ONLY, COLUMN ...) in any order."""
    while i < len(tokens) and tokens[i].is_(*words):
        i += 1
    return i


def has_sequence(tokens: list[Token], *words: str) -> int | None:
    """Index of the first run of ``words`` (upper-case keywords), or None."""
    width = len(words)
    for i in range(len(tokens) - width + 1):
        if all(tokens[i + k].is_(words[k]) for k in range(width)):
            return i
    return None
