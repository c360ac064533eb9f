"""The `compose` format: Docker Compose v2 `env_file:` (compose-go's dotenv parser).

Every value is double-quoted. Inside double quotes Compose decodes `\\\\`
`\\"` `\\n` `\\r` (other backslash pairs stay as they are) and then
interpolates `$NAME`, `${NAME}` from its own environment, with `$$` for
a literal `$`. So `\\` and `"` are escaped, newline and CR written as
escapes and every `$` doubled. Exact for every value without NUL. The first
line is the comment `# rideinfra: format=compose` (see `rideinfra.secrets.envfile`).
"""

from __future__ import annotations

from rideinfra.render.base import Values, env_entries
from rideinfra.secrets.envfile import dialect_marker

__all__ = ["compose_quote", "render_compose"]


def compose_quote(text: str) -> str:
    """Return `text` as a Compose double-quoted value that reads back exactly."""
    escaped = (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("$", "$$")
    )
    return f'"{escaped}"'


def render_compose(values: Values) -> str:
    """Render `NAME="value"` lines for Compose v2 `env_file:`.

    Raises:
        RenderError: a name is invalid, a value holds NUL, is structured, or
            is over the kernel's size limit.
    """
    return dialect_marker("compose") + "".join(
        f"{name}={compose_quote(text)}\n" for name, text in env_entries(values, fmt="compose")
    )
