"""What every renderer shares: the value checks and the format object.

A renderer turns `{variable: value}` into the text of one file. It checks
every variable first and raises `RenderError` naming
the variable (never the value) when the value cannot be written exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Protocol

from rideinfra._record import Record
from rideinfra.errors import RenderError
from rideinfra.secrets.model import SecretValue

__all__ = [
    "ENV_ENTRY_LIMIT",
    "GO_LINE_LIMIT",
    "K8S_LAST_APPLIED_LIMIT",
    "K8S_SECRET_LIMIT",
    "LIMITS",
    "MAX_ENV_ENTRY_BYTES",
    "NAME_PATTERN",
    "Format",
    "Limit",
    "OutputFormat",
    "Values",
    "entries",
    "env_entries",
    "line_too_long",
]

#: Variable name -> value, as the renderers take them.
Values = Mapping[str, SecretValue | str]

#: The names every env-like format accepts: sh runs anything else as a command.
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Limit(Record):
    """A size some reader cannot go past, in bytes.

    Attributes:
        max_bytes: the largest size the reader accepts.
        counted: what is counted.
        reader: whose limit it is, and where it comes from.
    """

    __slots__ = ("max_bytes", "counted", "reader")
    max_bytes: int
    counted: str
    reader: str

    def __init__(self, max_bytes: int, counted: str, reader: str) -> None:
        self._init(max_bytes=max_bytes, counted=counted, reader=reader)


#: Linux refuses (E2BIG) to start a process with an environment string longer
#: than MAX_ARG_STRLEN = 32 pages = 131072 bytes with 4 KiB pages, NUL included.
ENV_ENTRY_LIMIT = Limit(
    131071,
    "NAME=value in UTF-8 (every env-like format)",
    "Linux execve: MAX_ARG_STRLEN 131072, including the terminating NUL",
)
#: Go's bufio.Scanner stops at MaxScanTokenSize = 64 KiB, the newline
#: included: Compose reads a 65,535-byte line and fails on 65,536
#: (tests/render/test_render_limits.py measures it with the real binary).
GO_LINE_LIMIT = Limit(
    65535,
    "one line without its newline (format raw: NAME=value)",
    "Go bufio.Scanner (64 KiB): Compose `format: raw`, docker --env-file, kustomize envs:",
)
#: The API server's validation sums the Secret's data values (stringData
#: is merged into data first); keys and metadata are not counted.
K8S_SECRET_LIMIT = Limit(
    1024 * 1024,
    "the Secret's values in UTF-8 (format k8s-secret)",
    "the Kubernetes API server (ValidateSecret: MaxSecretSize)",
)
#: kubectl's client-side apply copies the whole manifest, as JSON, into the
#: last-applied-configuration annotation; all annotations together may hold
#: 256 KiB. Over it, only `kubectl apply --server-side` (or create) works.
K8S_LAST_APPLIED_LIMIT = Limit(
    256 * 1024,
    "the manifest as compact JSON (format k8s-secret; a warning, not a refusal)",
    "kubectl apply (client side): TotalAnnotationSizeLimitB",
)

#: Every size limit the renderers enforce, in one place (docs/formats.md, "Limits").
LIMITS = (ENV_ENTRY_LIMIT, GO_LINE_LIMIT, K8S_SECRET_LIMIT, K8S_LAST_APPLIED_LIMIT)

#: Longest `NAME=value` (UTF-8 bytes) a process can be started with.
MAX_ENV_ENTRY_BYTES = ENV_ENTRY_LIMIT.max_bytes


class OutputFormat(Protocol):
    """What the fetch entrypoint needs of a format."""

    @property
    def name(self) -> str:
        """The format's name, as given to `--format`."""
        ...

    @property
    def extension(self) -> str:
        """The file name extension, with the dot (`.env`, `.json`)."""
        ...

    def render(self, values: Values, *, profile: str) -> str:
        """Return the file text for one profile's variables."""
        ...


class Format(Record):
    """A format made of a plain function `values -> text`.

    Attributes:
        name: the `--format` name.
        extension: the file extension, with the dot.
        summary: one line saying who reads the file.
        renderer: the function that does the work.
    """

    __slots__ = ("name", "extension", "summary", "renderer")
    _hidden = frozenset({"renderer"})
    name: str
    extension: str
    summary: str
    renderer: Callable[[Values], str]

    def __init__(
        self, name: str, extension: str, summary: str, renderer: Callable[[Values], str]
    ) -> None:
        self._init(name=name, extension=extension, summary=summary, renderer=renderer)

    def render(self, values: Values, *, profile: str) -> str:
        """Return the file text for `values`; `profile` is unused by env-like formats.

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
    """Yield `(name, text)` sorted by name, after the checks every format makes.

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
    """Like `entries()`, plus the rules of every env-like format.

    Args:
        values: variable name -> value.
        fmt: the format's name, for messages.
        reserved: names this format must refuse -> why (e.g. bash read-only
            variables for formats that sh reads).

    Raises:
        RenderError: the name is not `[A-Za-z_][A-Za-z0-9_]*` or reserved,
            the value holds NUL, or `NAME=value` exceeds the kernel limit.
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
        size = _entry_bytes(name, text)
        if size > MAX_ENV_ENTRY_BYTES:
            raise RenderError(
                f"variable {name} is {size} bytes as NAME=value; Linux refuses to start a "
                f"process with an environment entry over {MAX_ENV_ENTRY_BYTES} bytes "
                "(MAX_ARG_STRLEN 131072 incl. the NUL); mount it as a file instead "
                "(format json or k8s-secret)",
                variable=name,
            )
        yield name, text


def _entry_bytes(name: str, text: str) -> int:
    # A code point is at most 4 UTF-8 bytes, so a value short enough is under
    # every limit without being encoded; only long ones are counted exactly.
    size = len(name) + 1 + 4 * len(text)  # name is ASCII: it matched NAME_PATTERN
    if size > MAX_ENV_ENTRY_BYTES:
        size = len(name) + 1 + len(text.encode())
    return size


def line_too_long(name: str, line: str, limit: Limit, *, fmt: str) -> RenderError | None:
    """The refusal when `line` (without its newline) is over `limit`, else None."""
    size = len(line) if line.isascii() else len(line.encode())
    if size <= limit.max_bytes:
        return None
    return RenderError(
        f"variable {name} makes a {size}-byte line in format {fmt}; its readers "
        f"({limit.reader}) cannot read a line over {limit.max_bytes} bytes; use format "
        "compose, shell or dotenv, or mount it as a file (json or k8s-secret)",
        variable=name,
    )
