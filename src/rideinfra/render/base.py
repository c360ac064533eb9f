"""What every renderer shares: the value checks and the format object.

A renderer turns ``{variable: value}`` into the text of one file. It checks
every variable first and raises :class:`~rideinfra.errors.RenderError` naming
the variable (never the value) when the value cannot be written exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

import attrs

from rideinfra.errors import RenderError
from rideinfra.secrets.model import SecretValue

__all__ = [
    "MAX_ENV_ENTRY_BYTES",
    "NAME_PATTERN",
    "Format",
    "OutputFormat",
    "Values",
    "entries",
    "env_entries",
]

#: Variable name -> value, as the renderers take them.
Values = Mapping[str, SecretValue | str]

#: The names every env-like format accepts: sh runs anything else as a command.
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")

#: Longest ``NAME=value`` (UTF-8 bytes) a process can be started with. Linux
#: refuses (E2BIG) any environment string longer than MAX_ARG_STRLEN = 32 pages
#: = 131072 bytes with 4 KiB pages, and that count includes the terminating NUL.
MAX_ENV_ENTRY_BYTES = 131071


class OutputFormat(Protocol):
    """What the fetch entrypoint needs of a format."""

    @property
    def name(self) -> str:
        """The format's name, as given to ``--format``."""
        ...

    @property
    def extension(self) -> str:
        """The file name extension, with the dot (``.env``, ``.json``)."""
        ...

    def render(self, values: Values, *, profile: str) -> str:
        """Return the file text for one profile's variables."""
        ...


@attrs.frozen
class Format:
    """A format made of a plain function ``values -> text``.

    Attributes:
        name: the ``--format`` name.
        extension: the file extension, with the dot.
        summary: one line saying who reads the file.
        renderer: the function that does the work.
    """

    name: str
    extension: str
    summary: str
    renderer: Callable[[Values], str] = attrs.field(repr=False)

    def render(self, values: Values, *, profile: str) -> str:
        """Return the file text for ``values``; ``profile`` is unused by env-like formats.

        Raises:
            RenderError: a variable cannot be written exactly in this format.
        """
        del profile
        return self.renderer(values)


def _text(name: str, value: SecretValue | str) -> str:
    if isinstance(value, SecretValue):
        if value.structured:
            raise RenderError(
                f"variable {name} holds a nested JSON object or array, not a string; "
                "add a `flatten` transform to turn it into one variable per leaf",
                variable=name,
            )
        return value.reveal()
    if isinstance(value, str):
        return value
    raise RenderError(
        f"variable {name} is a {type(value).__name__}, not a string or SecretValue",
        variable=name,
    )


def entries(values: Values, *, fmt: str) -> Iterator[tuple[str, str]]:
    """Yield ``(name, text)`` sorted by name, after the checks every format makes.

    Raises:
        RenderError: a name is not a string, a value is structured, not a
            string, or not valid Unicode (a lone surrogate cannot be UTF-8).
    """
    names = list(values)
    for name in names:
        if not isinstance(name, str):
            raise RenderError(f"a variable name is a {type(name).__name__}, not a string")
    ordered = sorted(names)
    # Usually the mapping is already in name order (Env is): then walk its items
    # in place. Looking each name up instead costs a cache miss per variable once
    # the variables outgrow the CPU caches (~14x the time for 10x the input, not 11x).
    pairs = values.items() if ordered == names else ((n, values[n]) for n in ordered)
    for name, value in pairs:
        text = _text(name, value)
        if not _is_unicode(text):
            raise RenderError(
                f"variable {name}: the value is not valid Unicode text (a lone surrogate) "
                f"and cannot be written as UTF-8 in format {fmt}",
                variable=name,
            )
        yield name, text


def _is_unicode(text: str) -> bool:
    # isascii() reads a flag CPython keeps on every str: O(1), no copy. Only
    # non-ASCII text is encoded to find a lone surrogate.
    if text.isascii():
        return True
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def env_entries(
    values: Values, *, fmt: str, reserved: Mapping[str, str] | None = None
) -> Iterator[tuple[str, str]]:
    """Like :func:`entries`, plus the rules of every env-like format.

    Args:
        values: variable name -> value.
        fmt: the format's name, for messages.
        reserved: names this format must refuse -> why (e.g. bash read-only
            variables for formats that sh reads).

    Raises:
        RenderError: the name is not ``[A-Za-z_][A-Za-z0-9_]*`` or reserved,
            the value holds NUL, or ``NAME=value`` exceeds the kernel limit.
    """
    for name, text in entries(values, fmt=fmt):
        if not NAME_PATTERN.fullmatch(name):
            raise RenderError(
                f"variable name {name!r} is not valid in format {fmt}: names must match "
                "[A-Za-z_][A-Za-z0-9_]* (a shell would run anything else as a command); "
                "rename it with a `rename` or `sanitize` transform",
                variable=name,
            )
        if reserved and name in reserved:
            raise RenderError(
                f"variable {name} cannot be set by `set -a; . file`: {reserved[name]}; "
                "rename it, or use a format no shell reads (compose, dotenv, raw, json "
                "or k8s-secret)",
                variable=name,
            )
        if "\0" in text:
            raise RenderError(
                f"variable {name} contains a NUL character, which no environment variable "
                "can hold; use format json",
                variable=name,
            )
        # A code point is at most 4 UTF-8 bytes, so a value short enough is under the
        # limit without being encoded; only long ones are counted exactly.
        size = len(name) + 1 + 4 * len(text)  # name is ASCII: it matched NAME_PATTERN
        if size > MAX_ENV_ENTRY_BYTES:
            size = len(name) + 1 + len(text.encode())
        if size > MAX_ENV_ENTRY_BYTES:
            raise RenderError(
                f"variable {name} is {size} bytes as NAME=value; Linux refuses to start a "
                f"process with an environment entry over {MAX_ENV_ENTRY_BYTES} bytes "
                "(MAX_ARG_STRLEN 131072 incl. the NUL); mount it as a file instead "
                "(format json or k8s-secret)",
                variable=name,
            )
        yield name, text
