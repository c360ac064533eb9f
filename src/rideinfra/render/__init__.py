"""Renderers: variables -> the exact text of one env, JSON or Kubernetes file; the writer.

Each format is exact for its reader or refuses with a RenderError naming the
variable; see docs/formats.md for the rules and the experiments behind them.
Each name is imported from its module on first use, so a fetch loads the
one format it writes.
"""

import typing

from rideinfra import _lazy

if typing.TYPE_CHECKING:
    from rideinfra.render.base import (
        MAX_ENV_ENTRY_BYTES,
        NAME_PATTERN,
        Format,
        OutputFormat,
        Values,
    )
    from rideinfra.render.compose import render_compose
    from rideinfra.render.dotenv import render_dotenv
    from rideinfra.render.envfile import render_env
    from rideinfra.render.formats import DEFAULT_FORMAT, FORMATS, get_format, render
    from rideinfra.render.jsonfmt import render_json
    from rideinfra.render.kubernetes import KubernetesSecret
    from rideinfra.render.raw import render_raw
    from rideinfra.render.shell import SHELL_RESERVED, render_shell
    from rideinfra.render.write import WriteReport, check_files, write_files

__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "MAX_ENV_ENTRY_BYTES",
    "NAME_PATTERN",
    "SHELL_RESERVED",
    "Format",
    "KubernetesSecret",
    "OutputFormat",
    "Values",
    "WriteReport",
    "check_files",
    "get_format",
    "render",
    "render_compose",
    "render_dotenv",
    "render_env",
    "render_json",
    "render_raw",
    "render_shell",
    "write_files",
]

#: Where each public name lives (tests/test_public_api.py holds this, the imports above
#: and `__all__` to the same names).
_HOME = {
    "DEFAULT_FORMAT": "rideinfra.render.formats",
    "FORMATS": "rideinfra.render.formats",
    "MAX_ENV_ENTRY_BYTES": "rideinfra.render.base",
    "NAME_PATTERN": "rideinfra.render.base",
    "SHELL_RESERVED": "rideinfra.render.shell",
    "Format": "rideinfra.render.base",
    "KubernetesSecret": "rideinfra.render.kubernetes",
    "OutputFormat": "rideinfra.render.base",
    "Values": "rideinfra.render.base",
    "WriteReport": "rideinfra.render.write",
    "check_files": "rideinfra.render.write",
    "get_format": "rideinfra.render.formats",
    "render": "rideinfra.render.formats",
    "render_compose": "rideinfra.render.compose",
    "render_dotenv": "rideinfra.render.dotenv",
    "render_env": "rideinfra.render.envfile",
    "render_json": "rideinfra.render.jsonfmt",
    "render_raw": "rideinfra.render.raw",
    "render_shell": "rideinfra.render.shell",
    "write_files": "rideinfra.render.write",
}

__getattr__, __dir__ = _lazy.lazy_exports(__name__, _HOME)
