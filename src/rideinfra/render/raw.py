"""The ``raw`` format: ``NAME=value`` lines, nothing quoted or escaped.

For readers that take the rest of the line after the first ``=`` verbatim:
``docker run --env-file``, Compose ``env_file`` with ``format: raw``,
kustomize ``envs:``. They split lines at newline and drop a CR before it, so
a value with a newline or CR cannot be carried and is refused.
"""

from __future__ import annotations

from rideinfra.errors import RenderError
from rideinfra.render.base import Values, env_entries

__all__ = ["render_raw"]


def render_raw(values: Values) -> str:
    """Render unquoted ``NAME=value`` lines.

    Raises:
        RenderError: a value holds a newline or CR (use format ``compose``,
            ``dotenv``, ``shell`` or ``json``), or any env-format rule fails.
    """
    lines = []
    for name, text in env_entries(values, fmt="raw"):
        if "\n" in text or "\r" in text:
            raise RenderError(
                f"variable {name} contains a newline or carriage return, which format raw "
                "cannot carry (its readers end the value at the line end); use format "
                "compose, dotenv, shell or json",
                variable=name,
            )
        lines.append(f"{name}={text}\n")
    return "".join(lines)
