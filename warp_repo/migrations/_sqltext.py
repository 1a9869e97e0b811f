"""Reading SQL text: tokens, statement boundaries, comment-free code. No I/O.

The engine runs a migration one statement at a time so that a failure names the statement and its line. That
needs statement boundaries the way PostgreSQL sees them: a semicolon ends a statement only outside quotes
(``'...'``, ``E'...'``, ``"..."``, ``$tag$...$tag$``), outside comments (``--`` and nested ``/* */``), outside
parentheses, and outside the ``BEGIN ATOMIC ... END`` body of a SQL-standard routine.

Each statement is still sent with the simple query protocol, so a statement this module failed to split would
still run correctly (the error would only point at a larger piece); splitting too eagerly is what must never
happen, and the tests aim there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum

__all__ = ["Statement", "code_only", "lines_inside_literals", "split_statements"]


class _Kind(Enum):
    SPACE = "space"
    COMMENT = "comment"
    STRING = "string"  # '...', E'...', $tag$...$tag$
    QUOTED_IDENT = "quoted_ident"  # "..."
    WORD = "word"  # keyword, identifier or number
    SYMBOL = "symbol"  # one character of anything else


@dataclass(frozen=True, slots=True)
class _Token:
    kind: _Kind
    start: int
    end: int


_WORD = re.compile(r"[A-Za-z0-9_\u0080-\U0010ffff][A-Za-z0-9_$\u0080-\U0010ffff]*")
_DOLLAR_TAG = re.compile(r"\$(?:[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*)?\$")
_SPACE = re.compile(r"\s+")


def _skip_block_comment(text: str, pos: int) -> int:
    """Return the offset just after the block comment opening at ``pos`` (block comments nest in SQL)."""
    depth = 0
    i = pos
    n = len(text)
    while i < n:
        if text.startswith("/*", i):
            depth += 1
            i += 2
        elif text.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def _skip_quoted(text: str, pos: int, quote: str, *, backslash_escapes: bool = False) -> int:
    """Return the offset just after the quoted literal opening at ``pos``; a doubled quote is an escape."""
    i = pos + 1
    n = len(text)
    while i < n:
        ch = text[i]
        if backslash_escapes and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if i + 1 < n and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return n


def _tokens(text: str) -> Iterator[_Token]:
    """Cut ``text`` into tokens; an unterminated quote or comment runs to the end of the text."""
    i = 0
    n = len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            match = _SPACE.match(text, i)
            end = match.end() if match else i + 1
            yield _Token(_Kind.SPACE, i, end)
        elif text.startswith("--", i):
            newline = text.find("\n", i)
            end = n if newline < 0 else newline
            yield _Token(_Kind.COMMENT, i, end)
        elif text.startswith("/*", i):
            end = _skip_block_comment(text, i)
            yield _Token(_Kind.COMMENT, i, end)
        elif ch == "'":
            end = _skip_quoted(text, i, "'")
            yield _Token(_Kind.STRING, i, end)
        elif ch == '"':
            end = _skip_quoted(text, i, '"')
            yield _Token(_Kind.QUOTED_IDENT, i, end)
        elif ch == "$" and (tag := _DOLLAR_TAG.match(text, i)) is not None:
            close = text.find(tag.group(), tag.end())
            end = n if close < 0 else close + len(tag.group())
            yield _Token(_Kind.STRING, i, end)
        elif (word := _WORD.match(text, i)) is not None:
            end = word.end()
            if end < n and text[end] == "'" and end - i == 1 and ch in "eE":
                # E'...': the only string form where a backslash escapes the quote.
                end = _skip_quoted(text, end, "'", backslash_escapes=True)
                yield _Token(_Kind.STRING, i, end)
            else:
                yield _Token(_Kind.WORD, i, end)
        else:
            end = i + 1
            yield _Token(_Kind.SYMBOL, i, end)
        i = end


@dataclass(frozen=True, slots=True)
class Statement:
    """One SQL statement as written in a migration file.

    Attributes:
        text: the statement from its first token up to, not including, its terminating semicolon.
        line: the 1-based line of the file on which the statement starts.
        start: offset of the statement's first character in the text it was split from.
        end: offset just after its terminating semicolon (or the end of that text).
    """

    text: str
    line: int
    start: int
    end: int

    @property
    def keywords(self) -> tuple[str, ...]:
        """The statement's leading words, upper-cased, comments and quoted text left out (at most four)."""
        words: list[str] = []
        for token in _tokens(self.text):
            if token.kind is _Kind.WORD:
                words.append(self.text[token.start : token.end].upper())
                if len(words) == 4:
                    break
            elif token.kind not in (_Kind.SPACE, _Kind.COMMENT):
                break
        return tuple(words)


_ROUTINE_PREFIXES = (
    ("create", "function"),
    ("create", "procedure"),
    ("create", "or", "replace", "function"),
    ("create", "or", "replace", "procedure"),
)


def split_statements(text: str, *, first_line: int = 1) -> list[Statement]:
    """Split SQL text into statements, the way PostgreSQL's own client (psql) does.

    Empty statements (a lone ``;``) and text that is only comments produce nothing.

    Args:
        text: SQL text, possibly many statements.
        first_line: the line number of the first line of ``text`` within its file, so that
            ``Statement.line`` points into the file.

    Returns:
        The statements in order.
    """
    statements: list[Statement] = []
    start: int | None = None
    last_end = 0  # end of the last significant (non-space, non-comment) token of the current statement
    paren_depth = 0
    block_depth = 0  # BEGIN ... END of a SQL-standard routine body
    leading_words: list[str] = []

    def finish(end: int) -> None:
        assert start is not None
        body = text[start:last_end]
        line = first_line + text.count("\n", 0, start)
        statements.append(Statement(text=body, line=line, start=start, end=end))

    for token in _tokens(text):
        if token.kind in (_Kind.SPACE, _Kind.COMMENT):
            continue
        value = text[token.start : token.end]
        if token.kind is _Kind.SYMBOL and value == ";":
            if start is None:
                continue
            if paren_depth == 0 and block_depth == 0:
                finish(token.end)
                start = None
                continue
        if start is None:
            start = token.start
            paren_depth = 0
            block_depth = 0
            leading_words = []
        last_end = token.end
        if token.kind is _Kind.SYMBOL:
            if value == "(":
                paren_depth += 1
            elif value == ")":
                paren_depth = max(0, paren_depth - 1)
        elif token.kind is _Kind.WORD:
            word = value.lower()
            if len(leading_words) < 4:
                leading_words.append(word)
            in_routine = any(tuple(leading_words[: len(p)]) == p for p in _ROUTINE_PREFIXES)
            if in_routine and paren_depth == 0:
                if word == "begin" or (word == "case" and block_depth > 0):
                    block_depth += 1
                elif word == "end" and block_depth > 0:
                    block_depth -= 1
    if start is not None:
        finish(len(text))
    return statements


def code_only(text: str) -> str:
    """Return ``text`` with comments removed and every string literal's content blanked.

    What is left is the SQL's structure: keywords, identifiers, punctuation. Lint rules match against it, so a
    keyword inside a string or a comment never triggers them. Whitespace runs become one space.
    """
    parts: list[str] = []
    for token in _tokens(text):
        if token.kind in (_Kind.SPACE, _Kind.COMMENT):
            parts.append(" ")
        elif token.kind is _Kind.STRING:
            parts.append("''")
        else:
            parts.append(text[token.start : token.end])
    return re.sub(r"\s+", " ", "".join(parts)).strip()


def lines_inside_literals(text: str) -> frozenset[int]:
    """Return the 0-based numbers of the lines of ``text`` that begin inside a quoted text or a block comment.

    Such a line belongs to the literal (e.g. a dollar-quoted function body), so what it says is data sent to the
    server, never a line of its own: a ``-- warp:`` line there is part of the body, not a marker.
    """
    inside: set[int] = set()
    for token in _tokens(text):
        if token.kind in (_Kind.STRING, _Kind.QUOTED_IDENT) or (
            token.kind is _Kind.COMMENT and text.startswith("/*", token.start)
        ):
            newline = text.find("\n", token.start, token.end)
            while 0 <= newline < token.end - 1:
                inside.add(text.count("\n", 0, newline + 1))
                newline = text.find("\n", newline + 1, token.end)
    return frozenset(inside)
