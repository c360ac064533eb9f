"""Every error rideinfra raises, in one hierarchy.

    RideinfraError                 base; `exit_code` is what the entrypoints exit with
     ├── ConfigError               bad rideinfra.yaml / seed file / usage          (exit 2)
     ├── SourceError               a secret could not be read from its store       (exit 1)
     │    ├── SecretNotFound       the store has no such secret (or it is deleted)
     │    ├── SecretFormatError    the secret exists but its content is unusable
     │    └── FetchErrors          several secrets failed in one batch; `.errors`
     ├── TransformError            a transform could not map a secret's fields     (exit 1)
     │    └── KeyCollision         two origins give one variable different values
     ├── RenderError               a value cannot be written exactly in a format   (exit 1)
     ├── WriteError                the output directory cannot be written          (exit 1)
     └── SerializationRefused      code tried to pickle / serialise a secret value (exit 1)

Messages name the secret, field, variable, file or AWS error code involved and
say what to do. They never contain a secret value: callers build them from
names only, and no constructor here accepts a value. Text from outside
(a server's message, an HTTP body, a URL, a library's exception) enters a
message only through `foreign_text`. Names we print (a field name from
the store can hold any character) go through `printable`, or `shown_name`
where a name stands in a list or before a `:` (it also quotes a name that
would read as two, or as part of the text around it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

__all__ = [
    "ConfigError",
    "FetchErrors",
    "KeyCollision",
    "RenderError",
    "RideinfraError",
    "SecretFormatError",
    "SecretNotFound",
    "SerializationRefused",
    "SourceError",
    "TransformError",
    "WriteError",
    "foreign_text",
    "printable",
    "shown_name",
    "shown_names",
]


class RideinfraError(Exception):
    """Base of every rideinfra error."""

    exit_code: int = 1


class ConfigError(RideinfraError):
    """The configuration (or command line) is wrong; fix the file, not the store."""

    exit_code = 2

    def __init__(self, message: str, *, file: str | None = None, path: str | None = None) -> None:
        self.file = file
        self.path = path
        where = ""
        if file and path:
            where = f"{file}: {path}: "
        elif file:
            where = f"{file}: "
        elif path:
            where = f"{path}: "
        super().__init__(where + message)


class SourceError(RideinfraError):
    """A secret could not be read. `secret` and `code` say which and why."""

    def __init__(self, message: str, *, secret: str | None = None, code: str | None = None) -> None:
        self.secret = secret
        self.code = code
        super().__init__(message)


class SecretNotFound(SourceError):
    """The store has no secret of that name (or it is scheduled for deletion)."""


class SecretFormatError(SourceError):
    """The secret exists but its content cannot be turned into fields."""


class FetchErrors(SourceError):
    """Several secrets of one `fetch_many` failed; `errors` maps name -> error."""

    def __init__(self, errors: Mapping[str, SourceError]) -> None:
        self.errors = dict(errors)
        super().__init__(_summary(self.errors))


#: Names listed after the first in a one-line FetchErrors message.
_SHOWN = 5


def _summary(errors: Mapping[str, SourceError]) -> str:
    # A wrong region, a denied policy or an empty store fails every secret for
    # one reason: say it once, on one line (a log line per secret hides it).
    names = sorted(errors)
    reasons = {
        (type(err), err.code, str(err).replace(repr(name), "")) for name, err in errors.items()
    }
    if len(names) > 1 and len(reasons) == 1:
        others = ", ".join(repr(name) for name in names[1 : 1 + _SHOWN])
        more = len(names) - 1 - _SHOWN
        if more > 0:
            others += f" and {more} more"
        return (
            f"{len(names)} secrets could not be fetched, all for the same reason: "
            f"{printable(errors[names[0]])}; the same for {others}"
        )
    lines = [f"{len(errors)} secret(s) could not be fetched:"]
    lines += [f"  {shown_name(name)}: {printable(errors[name])}" for name in names]
    return "\n".join(lines)


class TransformError(RideinfraError):
    """A transform could not produce valid variables from a secret's fields."""


class KeyCollision(TransformError):
    """Two origins give the same variable different values."""

    def __init__(
        self, variable: str, first: str, second: str, *, profile: str | None = None
    ) -> None:
        self.variable = variable
        self.origins = (first, second)
        self.profile = profile
        where = f" in profile {profile!r}" if profile else ""
        super().__init__(
            f"variable {shown_name(variable)}{where} comes from both {printable(first)} and "
            f"{printable(second)} with different "
            "values; rename one of them (rename/qualify/prefix transform) or drop it"
        )


class RenderError(RideinfraError):
    """A value cannot be written exactly in the chosen output format."""

    def __init__(self, message: str, *, variable: str | None = None) -> None:
        self.variable = variable
        super().__init__(message)


class WriteError(RideinfraError):
    """The output directory or a file in it could not be written."""


class SerializationRefused(RideinfraError):
    """Code tried to serialise a secret value (pickle, copyreg, jsonpickle, PyYAML, ...).

    Deliberately not a `TypeError`: serialisers such as jsonpickle catch
    `TypeError` from `__reduce_ex__` / `__getstate__` and fall back to
    reading the object's attributes, which would write the value out.
    """


#: Characters of foreign text kept in a message; the rest is cut and counted.
FOREIGN_LIMIT = 200


def foreign_text(text: object, limit: int = FOREIGN_LIMIT) -> str:
    """Text rideinfra did not write, made safe to put in an error or a log line.

    Server messages, HTTP bodies (an HTML 500 page), endpoint URLs and other
    libraries' exception strings come from outside. Whatever they hold, the
    result is one line (runs of whitespace, line breaks included, become one
    space), at most `limit` characters plus a note of how many were cut,
    with control and formatting characters escaped (`\\x1b`, `\\u202e`),
    so it cannot forge a log line or drive a terminal. Use the result as
    data only (an f-string field, a `%s` argument), never as a format
    string: braces in it stay literal only then.

    Args:
        text: the foreign text (anything; `str()` is applied).
        limit: the number of characters to keep.
    """
    line = printable(" ".join(str(text).split()))
    if len(line) > limit:
        line = f"{line[:limit]}... ({len(line) - limit} more characters)"
    return line


def printable(text: object, escape: Callable[[str], str] | None = None) -> str:
    """`text` with every character that could break a line or drive a terminal escaped.

    The one rule for what reaches a terminal or a log: a character Python
    does not call printable (`str.isprintable`: C0 controls and DEL, C1
    controls such as `\\x85` and `\\x9b`, the line and paragraph separators
    U+2028/U+2029, bidi overrides U+202A-U+202E and U+2066-U+2069, other
    format characters, lone surrogates, spaces other than U+0020) becomes its
    escape (`\\n`, `\\x1b`, `\\u202e`); everything else, backslashes
    included, is kept. So the result is one line that shows what was there,
    and printing it cannot forge a log record or move the cursor. Applying it
    twice changes nothing.

    Args:
        text: anything; `str()` is applied.
        escape: how one character is written (default: as Python's `repr`
            writes it); the JSON log format passes JSON's own escape.
    """
    line = str(text)
    if line.isprintable():
        return line
    write = escape or _escape
    return "".join(ch if ch.isprintable() else write(ch) for ch in line)


#: A name shown as it is: one printable word that cannot read as two names or run
#: into the text around it (no space, comma, semicolon, quote or backslash).
_NOT_BARE = frozenset(" ,;'\"\\")


def shown_name(name: object) -> str:
    """`name` for a message: as it is when it is one plain word, else quoted by `repr`.

    `app/db`, `USER` and an ARN are shown bare; an empty name, one with a
    space, comma, semicolon, quote or backslash, or any character
    `printable` would escape is shown as Python's `repr` writes it
    (`'B, C'`, `'A\\nFORGED'`), which is printable and tells the name
    apart from its neighbours in a list and from the text after it.

    Args:
        name: anything; `str()` is applied.
    """
    text = str(name)
    if text and text.isprintable() and _NOT_BARE.isdisjoint(text):
        return text
    return repr(text)


def shown_names(names: Iterable[object]) -> str:
    """The names for a message, each by `shown_name`, joined by `, `."""
    return ", ".join(shown_name(name) for name in names)


def _escape(ch: str) -> str:
    # The escape Python's repr uses for a character it does not print.
    return repr(ch)[1:-1]
