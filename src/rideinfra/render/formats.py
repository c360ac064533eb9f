"""The registry of output formats, by the names `--format` takes."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from rideinfra.errors import ConfigError
from rideinfra.render.base import Format, OutputFormat, Values

__all__ = [
    "DEFAULT_FORMAT",
    "FORMATS",
    "get_format",
    "render",
]

DEFAULT_FORMAT = "env"


# Each format is built when first asked for: a fetch writes one format, and
# importing every renderer (the k8s one compiles a dozen patterns) is start-up
# time every init container would pay for the others.
def _env() -> OutputFormat:
    from rideinfra.render.envfile import render_env

    summary = "read alike by sh (set -a; .), Compose env_file and python-dotenv"
    return Format("env", ".env", summary, render_env)


def _shell() -> OutputFormat:
    from rideinfra.render.shell import render_shell

    return Format("shell", ".env", "POSIX sh: set -a; . file; set +a", render_shell)


def _compose() -> OutputFormat:
    from rideinfra.render.compose import render_compose

    return Format("compose", ".env", "Docker Compose v2 env_file:", render_compose)


def _dotenv() -> OutputFormat:
    from rideinfra.render.dotenv import render_dotenv

    return Format("dotenv", ".env", "python-dotenv (interpolation on)", render_dotenv)


def _raw() -> OutputFormat:
    from rideinfra.render.raw import render_raw

    summary = "docker --env-file, Compose format: raw, kustomize envs:"
    return Format("raw", ".env", summary, render_raw)


def _json() -> OutputFormat:
    from rideinfra.render.jsonfmt import render_json

    return Format("json", ".json", 'a JSON object {"NAME": "value"}', render_json)


def _k8s_secret() -> OutputFormat:
    from rideinfra.render.kubernetes import KubernetesSecret

    return KubernetesSecret()


class _Registry(Mapping[str, OutputFormat]):
    """Format name -> format, each built (and its renderer imported) on first lookup."""

    def __init__(self, builders: Mapping[str, Callable[[], OutputFormat]]) -> None:
        self._builders = builders
        self._built: dict[str, OutputFormat] = {}

    def __getitem__(self, name: str) -> OutputFormat:
        built = self._built.get(name)
        if built is None:  # two threads may both build it; the first one stored is kept
            built = self._built.setdefault(name, self._builders[name]())
        return built

    def __iter__(self) -> Iterator[str]:
        return iter(self._builders)

    def __len__(self) -> int:
        return len(self._builders)

    def __repr__(self) -> str:
        return f"<formats: {', '.join(self._builders)}>"


#: Format name -> format. `k8s-secret` here takes its name from the profile;
#: build `KubernetesSecret(secret_name=..., namespace=...)` for other metadata.
FORMATS: Mapping[str, OutputFormat] = _Registry(
    {
        "env": _env,
        "shell": _shell,
        "compose": _compose,
        "dotenv": _dotenv,
        "raw": _raw,
        "json": _json,
        "k8s-secret": _k8s_secret,
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
