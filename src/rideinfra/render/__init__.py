"""Renderers: variables -> the exact text of one env, JSON or Kubernetes file; the writer.

Each format is exact for its reader or refuses with a RenderError naming the
variable; see docs/formats.md for the rules and the experiments behind them.
"""

from rideinfra.render.base import MAX_ENV_ENTRY_BYTES, NAME_PATTERN, Format, OutputFormat, Values
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
