"""The `raw` format: `NAME=value` lines, nothing quoted or escaped.

For readers that take the rest of the line after the first `=` verbatim:
`docker run --env-file`, Compose `env_file` with `format: raw`,
kustomize `envs:`. They split lines at newline and drop a CR before it, so
a value with a newline or CR cannot be carried and is refused. They read
lines with Go's bufio.Scanner, so a line over 65,535 bytes is refused too.
The first line names the format (see `rideinfra.secrets.envfile`).
"""

from __future__ import annotations

from rideinfra.errors import RenderError
from rideinfra.render.base import GO_LINE_LIMIT, Values, env_entries, line_too_long
from rideinfra.secrets.envfile import dialect_marker

__all__ = ["render_raw"]


def render_raw(values: Values) -> str:
    """Render unquoted `NAME=value` lines.

    Raises:
        RenderError: a value holds a newline or CR (use format `compose`,
            `dotenv`, `shell` or `json`), a line is longer than Go's
            scanner reads, or any env-format rule fails.
    """
    lines = [dialect_marker("raw")]
    for name, text in env_entries(values, fmt="raw"):
        if "\n" in text or "\r" in text:
            raise RenderError(
                f"variable {name} contains a newline or carriage return, which format raw "
                "cannot carry (its readers end the value at the line end); use format "
                "compose, dotenv, shell or json",
                variable=name,
            )
        line = f"{name}={text}"
        too_long = line_too_long(name, line, GO_LINE_LIMIT, fmt="raw")
        if too_long is not None:
            raise too_long
        lines.append(line + "\n")
    return "".join(lines)
