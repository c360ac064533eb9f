"""The `dotenv` format: python-dotenv's `dotenv_values()` with interpolation on.

Every value is double-quoted. Inside, python-dotenv decodes `\\\\` `\\"`
`\\n` `\\r` (and `\\a \\b \\f \\t \\v \\'`), so `\\` and `"` are
escaped and newline and CR are written as escapes (the file is read with
universal newlines, which would turn a raw CR into a newline). After decoding,
python-dotenv replaces every `${NAME}` / `${NAME:-default}` (quoted or not)
and has no escape for it; `${` is therefore written `${=:-$}{`: a
reference to the variable named `=`, which no environment can hold, whose
default is `$`. Exact for every value without NUL. The first line is the
comment `# rideinfra: format=dotenv` (see `rideinfra.secrets.envfile`).
"""

from __future__ import annotations

from rideinfra.render.base import Values, env_entries
from rideinfra.secrets.envfile import dialect_marker

__all__ = ["dotenv_quote", "render_dotenv"]

_DOLLAR_BRACE = "${=:-$}{"


def dotenv_quote(text: str) -> str:
    """Return `text` as a python-dotenv double-quoted value that reads back exactly."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("${", _DOLLAR_BRACE)
    )
    return f'"{escaped}"'


def render_dotenv(values: Values) -> str:
    """Render `NAME="value"` lines for python-dotenv.

    Raises:
        RenderError: a name is invalid, a value holds NUL, is structured, or
            is over the kernel's size limit.
    """
    return dialect_marker("dotenv") + "".join(
        f"{name}={dotenv_quote(text)}\n" for name, text in env_entries(values, fmt="dotenv")
    )
