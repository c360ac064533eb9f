"""The registry of output formats, by the names `--format` takes."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from rideinfra.errors import ConfigError
from rideinfra.render.base import Format, OutputFormat, Values
from rideinfra.render.compose import render_compose
from rideinfra.render.dotenv import render_dotenv
from rideinfra.render.envfile import render_env
from rideinfra.render.jsonfmt import render_json
from rideinfra.render.kubernetes import KubernetesSecret
from rideinfra.render.raw import render_raw
from rideinfra.render.shell import render_shell

__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "get_format",
    "render",
]

DEFAULT_FORMAT = "env"

#: Format name -> format. `k8s-secret` here takes its name from the profile;
#: build `KubernetesSecret(secret_name=..., namespace=...)` for other metadata.
FORMATS: Mapping[str, OutputFormat] = MappingProxyType(
    {
        "env": Format(
            "env",
            ".env",
            "read alike by sh (set -a; .), Compose env_file and python-dotenv",
            render_env,
        ),
        "shell": Format("shell", ".env", "POSIX sh: set -a; . file; set +a", render_shell),
        "compose": Format("compose", ".env", "Docker Compose v2 env_file:", render_compose),
        "dotenv": Format("dotenv", ".env", "python-dotenv (interpolation on)", render_dotenv),
        "raw": Format(
            "raw", ".env", "docker --env-file, Compose format: raw, kustomize envs:", render_raw
        ),
        "json": Format("json", ".json", 'a JSON object {"NAME": "value"}', render_json),
        "k8s-secret": KubernetesSecret(),
    }
)


def get_format(name: str) -> OutputFormat:
    """Return the format called `name`.

    Raises:
        ConfigError: no format has that name; the message lists the valid ones.
    """
    try:
        return FORMATS[name]
    except KeyError:
        raise ConfigError(
            f"unknown output format {name!r}; choose one of: {', '.join(FORMATS)}"
        ) from None


def render(format_name: str, values: Values, *, profile: str) -> str:
    """Render one profile's variables in the named format.

    Raises:
        ConfigError: the format name is unknown.
        RenderError: a variable cannot be written exactly in that format.
    """
    return get_format(format_name).render(values, profile=profile)
