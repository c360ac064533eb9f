"""A small, strict reader for dotenv (`KEY=value`) files, and for rideinfra's dialects.

A file rideinfra writes in a dialect format (`shell`, `compose`, `dotenv`,
`raw`) starts with the line `# rideinfra: format=NAME`, which every reader of
those formats skips as a comment. `parse_env_file` reads such a file exactly
in its dialect: `shell` (bare words, `'...'` and `\\'`), `compose` (`"..."`
with the escapes `\\\\ \\" \\n \\r` and `$$`), `raw` (the rest of the line),
`dotenv` (the grammar below), and refuses any other form in it, and any
format it does not know, naming the file. A file without the line (an `env`
file, or one written by hand) is read with the grammar below.

It reads what rideinfra's `env` and `dotenv` renderers write, and the
hand-written `.env` files people keep next to a service, and it refuses
anything whose meaning differs between the common readers (python-dotenv,
Docker Compose, POSIX sh) instead of guessing. What it accepts, it reads the
way python-dotenv does, minus interpolation.

Grammar (one assignment or comment per line; docs/sources.md has examples):

    file        := BOM? line*
    line        := blank* ( comment | assignment )? newline
    comment     := '#' <anything to end of line>
    assignment  := ('export' blank+)? NAME blank* '=' blank* value blank* (blank+ comment)?
    NAME        := [A-Za-z_][A-Za-z0-9_]*
    value       := single | double | unquoted
    single      := "'" <any text, newlines too, up to the next "'"> "'"
    double      := '"' (escape | <any char but '"' and '\\'>)* '"'
    escape      := '\\\\' | '\\"' | '\\n' | '\\r' | '\\t'
    unquoted    := <rest of the line>, cut at the first blank+'#', trailing blanks dropped

`blank` is a space or a tab; `newline` is `\\n`.

Refused, each with a `ConfigError` naming the file
and line (never the value):

- a line without `=`, a name outside `NAME`, a name set twice;
- an unterminated quote, or text after a closing quote other than a comment;
- a double-quoted escape other than the five above (sh keeps `\\x`,
  Compose drops the backslash, python-dotenv keeps it: no single meaning);
- in single quotes, a backslash before `\\` or `'` (python-dotenv reads
  `\\\\` as one backslash; sh and Compose read two);
- a `${NAME}` or `${NAME:-default}` reference (python-dotenv's pattern,
  in any quotes) whose value could depend on the environment: the reader
  does not look at the environment, so it refuses rather than guess;
- a carriage return outside quotes (comments included), or whitespace other
  than space and tab in an unquoted value.

A bare `$NAME`, and a `${` that does not complete a reference, are
kept as written, as python-dotenv keeps them. A reference whose NAME
contains `=` cannot name any variable, so python-dotenv always reads its
default (or nothing): the reader resolves those the same way. That is how
rideinfra's `dotenv` renderer writes a literal `${` (`${=:-$}{`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import NoReturn

from rideinfra._lazy import LazyPattern
from rideinfra.errors import ConfigError

__all__ = ["DIALECTS", "MARKER_PREFIX", "dialect_marker", "parse_env_file"]

#: How the first line of a dialect file starts; the format's name follows.
MARKER_PREFIX = "# rideinfra: format="
#: The formats whose files carry the marker (`env` files do not: an
#: unmarked file is read as `env`, the form every reader shares).
DIALECTS = ("shell", "compose", "dotenv", "raw")
_MARKER = LazyPattern(re.escape(MARKER_PREFIX) + r"([^\n]*)(?:\n|\Z)")

_NAME = LazyPattern(r"[A-Za-z_][A-Za-z0-9_]*")
_BLANKS = LazyPattern(r"[ \t]*")
_COMMENT_CUT = LazyPattern(r"[ \t]+#")
_SINGLE_AMBIGUOUS = LazyPattern(r"\\[\\']")
# python-dotenv's variable reference, applied after quotes and escapes are read.
_REFERENCE = LazyPattern(r"\$\{(?P<name>[^}:]*)(?::-(?P<default>[^}]*))?\}")
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


def dialect_marker(fmt: str) -> str:
    """The first line (with its newline) of a file rendered in dialect `fmt`."""
    return f"{MARKER_PREFIX}{fmt}\n"


def parse_env_file(text: str, *, file: str = "<string>") -> dict[str, str]:
    """Read env text into `{NAME: value}`, in file order, in the dialect it names.

    Args:
        text: the file's content (already decoded).
        file: what to call the file in error messages.

    Raises:
        ConfigError: the text is not in its dialect (the grammar above when it
            names none), or names a format this reader cannot read; the
            message names the file, the line and (where known) the variable,
            never a value.
    """
    text = text.removeprefix("\ufeff")
    marker = _MARKER.match(text)
    if marker is None:
        return _Reader(text, file).read()
    fmt = marker.group(1).strip()
    if fmt == "dotenv":
        return _Reader(text, file).read()  # the marker line is a comment to it
    reader = _DIALECT_READERS.get(fmt)
    if reader is None:
        raise ConfigError(
            f"the file says it is in format {fmt!r}, which this reader cannot read "
            f"(it reads {', '.join(DIALECTS)} and unmarked env files); write it in one "
            "of those, or read it with its own reader",
            file=file,
            path="line 1",
        )
    return reader(text[marker.end() :], file, fmt)


# -- rideinfra's dialects: exactly the forms their renderers write ---------------

# One assignment, NAME=, at the start of a line.
_ASSIGN = LazyPattern(r"([A-Za-z_][A-Za-z0-9_]*)=")
# shell: a value is bare sh-safe characters, '...' (newlines included) and \'.
_SHELL_VALUE = LazyPattern(r"(?:[A-Za-z0-9_@%+,./:=-]+|'[^']*'|\\')*")
_SHELL_PART = LazyPattern(r"'([^']*)'|\\(')|([^'\\]+)")
# compose: "..." holding only \\ \" \n \r escapes and $$ pairs.
_COMPOSE_VALUE = LazyPattern(r'"((?:[^"\\$\n\r]|\\[\\"nr]|\$\$)*)"')
_COMPOSE_ESCAPE = LazyPattern(r'\\([\\"nr])|\$\$')
# Reads one value starting at a position: (value, where it ends), or None.
_ValueReader = Callable[[str, int], "tuple[str, int] | None"]
_COMPOSE_DECODED = {"\\": "\\", '"': '"', "n": "\n", "r": "\r"}


def _read_dialect(text: str, file: str, fmt: str, value_at: _ValueReader) -> dict[str, str]:
    values: dict[str, str] = {}
    lines: dict[str, int] = {}
    pos, line = 0, 2  # line 1 is the marker
    while pos < len(text):
        if text.startswith("\n", pos) or text.startswith("#", pos):
            end = text.find("\n", pos)
            end = len(text) if end < 0 else end
            if "\r" in text[pos:end]:
                _dialect_fail(file, line, fmt, "a carriage return")
            pos, line = end + 1, line + 1
            continue
        match = _ASSIGN.match(text, pos)
        if match is None:
            _dialect_fail(file, line, fmt, "a line that is not NAME=value")
        name = match.group(1)
        if name in lines:
            raise ConfigError(
                f"{name} is set twice (lines {lines[name]} and {line}); keep one",
                file=file,
                path=f"line {line}",
            )
        found = value_at(text, match.end())
        if found is None:
            _dialect_fail(
                file,
                line,
                fmt,
                f"the value of {name} is not written the way format {fmt} writes values",
            )
        value, end = found
        if not text.startswith("\n", end) and end != len(text):
            _dialect_fail(file, line, fmt, f"text after the value of {name}")
        lines[name] = line
        values[name] = value
        line += text.count("\n", pos, end + 1)
        pos = end + 1
    return values


def _dialect_fail(file: str, line: int, fmt: str, what: str) -> NoReturn:
    raise ConfigError(
        f"{what}, which rideinfra's {fmt} renderer never writes; the file's first line says "
        f"it is in format {fmt}: render it again with `rideinfra fetch`, or delete that "
        "line to read the file as a plain env file",
        file=file,
        path=f"line {line}",
    )


def _shell_value(text: str, pos: int) -> tuple[str, int] | None:
    match = _SHELL_VALUE.match(text, pos)
    assert match is not None  # noqa: S101 - the pattern matches the empty string
    parts = []
    for part in _SHELL_PART.finditer(match.group()):
        quoted, quote, bare = part.groups()
        parts.append(quoted if quoted is not None else quote or bare)
    return "".join(parts), match.end()


def _compose_value(text: str, pos: int) -> tuple[str, int] | None:
    match = _COMPOSE_VALUE.match(text, pos)
    if match is None:
        return None
    decoded = _COMPOSE_ESCAPE.sub(
        lambda m: _COMPOSE_DECODED[m.group(1)] if m.group(1) else "$", match.group(1)
    )
    return decoded, match.end()


def _raw_value(text: str, pos: int) -> tuple[str, int] | None:
    end = text.find("\n", pos)
    end = len(text) if end < 0 else end
    value = text[pos:end]
    # Compose drops a CR before the newline and docker may not: no single reading.
    return None if "\r" in value else (value, end)


class _Reader:
    __slots__ = ("_file", "_line", "_pos", "_text")

    def __init__(self, text: str, file: str) -> None:
        self._text = text
        self._file = file
        self._pos = 0
        self._line = 1

    def read(self) -> dict[str, str]:
        values: dict[str, str] = {}
        lines: dict[str, int] = {}
        while self._pos < len(self._text):
            self._blanks()
            char = self._peek()
            if char == "\n":
                self._advance(1)
            elif char == "#":
                self._comment()
            elif char == "":
                break
            else:
                line = self._line
                name, value = self._assignment()
                if name in lines:
                    self._fail(
                        f"{name} is set twice (lines {lines[name]} and {line}); keep one",
                        line=line,
                    )
                lines[name] = line
                values[name] = self._resolve(name, value, line) if "${" in value else value
        return values

    def _resolve(self, name: str, value: str, line: int) -> str:
        def fixed(match: re.Match[str]) -> str:
            if "=" not in match["name"]:
                self._fail(
                    f"the value of {name} holds a ${{...}} reference, which python-dotenv "
                    "fills from the environment and this reader does not; write a literal "
                    "'${' as '${=:-$}{'",
                    line=line,
                )
            return match["default"] or ""

        return _REFERENCE.sub(fixed, value)

    # -- one assignment -------------------------------------------------------

    def _assignment(self) -> tuple[str, str]:
        if self._text.startswith("export", self._pos) and self._text[
            self._pos + 6 : self._pos + 7
        ] in (" ", "\t"):
            self._advance(6)
            self._blanks()
        match = _NAME.match(self._text, self._pos)
        if match is None:
            self._fail(
                "expected a variable name (letters, digits and _, not starting with a digit)"
                + ("; carriage returns (CRLF) are not allowed" if self._peek() == "\r" else "")
            )
        name = match.group()
        self._advance(len(name))
        self._blanks()
        if self._peek() != "=":
            self._fail(f"expected '=' after {name}; every line must be NAME=value")
        self._advance(1)
        blanks = self._blanks()
        char = self._peek()
        if char == "'":
            value = self._single(name)
        elif char == '"':
            value = self._double(name)
        elif char in ("", "\n"):
            value = ""
        elif char == "#" and blanks:
            # KEY= # comment is empty, as in python-dotenv; KEY=#x is "#x".
            self._comment()
            return name, ""
        else:
            return name, self._unquoted(name)
        self._line_end(name)
        return name, value

    def _single(self, name: str) -> str:
        start_line = self._line
        end = self._text.find("'", self._pos + 1)
        if end < 0:
            self._fail(f"the single quote opening {name}'s value is never closed", line=start_line)
        if _SINGLE_AMBIGUOUS.search(self._text, self._pos + 1, end + 1):
            self._fail(
                f"{name}'s single-quoted value has a backslash before \\ or ', which "
                "python-dotenv reads differently from sh and Compose; use double quotes",
                line=start_line,
            )
        value = self._text[self._pos + 1 : end]
        self._advance(end + 1 - self._pos)
        return value

    def _double(self, name: str) -> str:
        start_line = self._line
        text = self._text
        pos = self._pos + 1
        parts: list[str] = []
        while True:
            quote = text.find('"', pos)
            backslash = text.find("\\", pos, quote if quote >= 0 else len(text))
            if quote < 0:
                self._fail(
                    f"the double quote opening {name}'s value is never closed", line=start_line
                )
            if backslash < 0:
                parts.append(text[pos:quote])
                break
            parts.append(text[pos:backslash])
            escaped = _ESCAPES.get(text[backslash + 1 : backslash + 2])
            if escaped is None:
                line = start_line + text.count("\n", self._pos, backslash)
                self._fail(
                    f"{name}'s double-quoted value has an unsupported backslash escape; "
                    'only \\\\, \\", \\n, \\r and \\t are understood',
                    line=line,
                )
            parts.append(escaped)
            pos = backslash + 2
        self._advance(quote + 1 - self._pos)
        return "".join(parts)

    def _unquoted(self, name: str) -> str:
        end = self._text.find("\n", self._pos)
        if end < 0:
            end = len(self._text)
        raw = self._text[self._pos : end]
        if "\r" in raw:
            self._fail("carriage return (CRLF line ending?) outside quotes; save the file with LF")
        if any(char.isspace() and char not in " \t" for char in raw):
            self._fail(
                f"{name}'s unquoted value holds whitespace other than space or tab; quote it"
            )
        cut = _COMMENT_CUT.search(raw)
        value = (raw[: cut.start()] if cut else raw).rstrip(" \t")
        self._advance(end - self._pos)
        return value

    def _line_end(self, name: str) -> None:
        blanks = self._blanks()
        char = self._peek()
        if char == "#" and blanks:
            self._comment()
        elif char == "\r":
            self._fail("carriage return (CRLF line ending?) outside quotes; save the file with LF")
        elif char not in ("", "\n"):
            self._fail(
                f"unexpected text after {name}'s closing quote; only a comment "
                "(a blank, then #) may follow"
            )

    # -- scanning ---------------------------------------------------------------

    def _peek(self) -> str:
        return self._text[self._pos : self._pos + 1]

    def _advance(self, count: int) -> None:
        self._line += self._text.count("\n", self._pos, self._pos + count)
        self._pos += count

    def _blanks(self) -> int:
        match = _BLANKS.match(self._text, self._pos)
        assert match is not None  # noqa: S101 - the pattern matches the empty string
        self._pos = match.end()
        return len(match.group())

    def _comment(self) -> None:
        end = self._text.find("\n", self._pos)
        end = len(self._text) if end < 0 else end
        if "\r" in self._text[self._pos : end]:
            # python-dotenv ends the comment at a CR and reads the rest as a new line.
            self._fail("carriage return (CRLF line ending?) in a comment; save the file with LF")
        self._advance(end - self._pos)

    def _fail(self, message: str, *, line: int | None = None) -> NoReturn:
        raise ConfigError(message, file=self._file, path=f"line {line or self._line}")


_DIALECT_READERS: dict[str, Callable[[str, str, str], dict[str, str]]] = {
    "shell": lambda text, file, fmt: _read_dialect(text, file, fmt, _shell_value),
    "compose": lambda text, file, fmt: _read_dialect(text, file, fmt, _compose_value),
    "raw": lambda text, file, fmt: _read_dialect(text, file, fmt, _raw_value),
}
