"""A small, strict reader for dotenv (``KEY=value``) files.

It reads what rideinfra's ``env`` and ``dotenv`` renderers write, and the
hand-written ``.env`` files people keep next to a service, and it refuses
anything whose meaning differs between the common readers (python-dotenv,
Docker Compose, POSIX sh) instead of guessing. What it accepts, it reads the
way python-dotenv does, minus interpolation.

Grammar (one assignment or comment per line; docs/sources.md has examples)::

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

``blank`` is a space or a tab; ``newline`` is ``\\n``.

Refused, each with a :class:`~rideinfra.errors.ConfigError` naming the file
and line (never the value):

- a line without ``=``, a name outside ``NAME``, a name set twice;
- an unterminated quote, or text after a closing quote other than a comment;
- a double-quoted escape other than the five above (sh keeps ``\\x``,
  Compose drops the backslash, python-dotenv keeps it: no single meaning);
- in single quotes, a backslash before ``\\`` or ``'`` (python-dotenv reads
  ``\\\\`` as one backslash; sh and Compose read two);
- a ``${NAME}`` or ``${NAME:-default}`` reference (python-dotenv's pattern,
  in any quotes) whose value could depend on the environment: the reader
  does not look at the environment, so it refuses rather than guess;
- a carriage return outside quotes (comments included), or whitespace other
  than space and tab in an unquoted value.

A bare ``$NAME``, and a ``${`` that does not complete a reference, are
kept as written, as python-dotenv keeps them. A reference whose NAME
contains ``=`` cannot name any variable, so python-dotenv always reads its
default (or nothing): the reader resolves those the same way. That is how
rideinfra's ``dotenv`` renderer writes a literal ``${`` (``${=:-$}{``).
"""

from __future__ import annotations

import re
from typing import NoReturn

from rideinfra.errors import ConfigError

__all__ = ["parse_env_file"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BLANKS = re.compile(r"[ \t]*")
_COMMENT_CUT = re.compile(r"[ \t]+#")
_SINGLE_AMBIGUOUS = re.compile(r"\\[\\']")
# python-dotenv's variable reference, applied after quotes and escapes are read.
_REFERENCE = re.compile(r"\$\{(?P<name>[^}:]*)(?::-(?P<default>[^}]*))?\}")
_ESCAPES = {"\\": "\\", '"': '"', "n": "\n", "r": "\r", "t": "\t"}


def parse_env_file(text: str, *, file: str = "<string>") -> dict[str, str]:
    """Read dotenv text into ``{NAME: value}``, in file order.

    Args:
        text: the file's content (already decoded).
        file: what to call the file in error messages.

    Raises:
        ConfigError: the text is not in the grammar above; the message names
            the file, the line and (where known) the variable, never a value.
    """
    return _Reader(text.removeprefix("\ufeff"), file).read()


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
