"""What the entrypoints share: config and output lookup, source building, rendering, errors.

Kept apart from the argument parsers so ``rideinfra fetch`` and
``python -m rideinfra.fetch`` are one code path, and so tools embedding
rideinfra can call the same steps.
"""

from __future__ import annotations

import argparse
import logging
import os
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

from rideinfra.errors import ConfigError, RenderError, RideinfraError
from rideinfra.logs import configure

if TYPE_CHECKING:
    from rideinfra.profiles import Config, Env
    from rideinfra.secrets.base import SecretSource

__all__ = [
    "EXIT_CODES_HELP",
    "PROGRESS_THRESHOLD",
    "ParserOptions",
    "add_config_arguments",
    "add_log_arguments",
    "announce_fetch",
    "build_source",
    "config_path",
    "internal_error",
    "load_config_from_args",
    "output_dir",
    "render_files",
    "run_command",
]

DEFAULT_CONFIG = "rideinfra.yaml"
DEFAULT_OUTPUT_DIR = "/secrets"

EXIT_CODES_HELP = """\
exit codes:
  0  done: files written, or already up to date
  1  a secret could not be fetched, transformed, rendered or written; nothing was written
     (with --check: the files differ from the store)
  2  bad usage or bad configuration
"""


class ParserOptions(TypedDict):
    """What a command's parser is made with, so a module and a subcommand share it."""

    description: str
    epilog: str
    formatter_class: type[argparse.HelpFormatter]


def add_config_arguments(parser: argparse.ArgumentParser) -> None:
    """``--config``, shared by every subcommand that reads rideinfra.yaml."""
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: RIDEINFRA_CONFIG, then ./rideinfra.yaml)",
    )


def add_log_arguments(parser: argparse.ArgumentParser) -> None:
    """``--log-format`` and ``--log-level``."""
    parser.add_argument(
        "--log-format",
        choices=("text", "json"),
        default="text",
        help="log lines on stderr as text (default) or one JSON object per line",
    )
    parser.add_argument(
        "--log-level",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
        default="INFO",
        type=str.upper,
        help="least severe level logged (default INFO); no level ever logs a value",
    )


def config_path(cli_value: str | None, environ: Mapping[str, str]) -> Path:
    """--config, else RIDEINFRA_CONFIG, else ./rideinfra.yaml."""
    return Path(cli_value or environ.get("RIDEINFRA_CONFIG") or DEFAULT_CONFIG)


def load_config_from_args(args: argparse.Namespace, environ: Mapping[str, str]) -> Config:
    """Load the config named by the arguments and environment.

    Raises:
        ConfigError: the file is missing or invalid.
    """
    from rideinfra.profiles import load_config

    path = config_path(args.config, environ)
    config = load_config(path)
    logging.getLogger("rideinfra").info(
        "config %s: %d profile(s), %d secret(s) bound",
        path,
        len(config.profiles),
        len(config.secrets),
    )
    return config


def output_dir(cli_value: str | None, environ: Mapping[str, str], config: Config) -> Path:
    """--out, else SECRETS_OUTPUT_DIR, else output.dir of the config, else /secrets."""
    return Path(
        cli_value or environ.get("SECRETS_OUTPUT_DIR") or config.output.dir or DEFAULT_OUTPUT_DIR
    )


def build_source(spec: Any, environ: Mapping[str, str]) -> SecretSource:
    """The SecretSource a config's ``source:`` section describes.

    Raises:
        ConfigError: the source type is unknown.
    """
    from rideinfra.secrets import (
        ChainSource,
        DirectorySource,
        EnvSource,
        FileSource,
        SecretsManagerSource,
    )

    kind = spec.type
    if kind == "aws-secretsmanager":
        options: dict[str, Any] = {
            "region": spec.region,
            "endpoint_url": spec.endpoint_url,
            "environ": environ,
        }
        for name in (
            "retry_mode",
            "max_attempts",
            "max_concurrency",
            "connect_timeout",
            "read_timeout",
        ):
            value = getattr(spec, name, None)
            if value is not None:
                options[name] = value
        source = SecretsManagerSource(**options)
        where = source.endpoint_url or "AWS"
        logging.getLogger("rideinfra").info(
            "source aws-secretsmanager: %s, region %s", where, source.region
        )
        return source
    if kind == "file":
        return FileSource(spec.path, name=getattr(spec, "name", None))
    if kind == "directory":
        return DirectorySource(spec.path)
    if kind == "env":
        prefix = getattr(spec, "prefix", None)
        return EnvSource(environ, prefix=prefix) if prefix else EnvSource(environ)
    if kind == "chain":
        return ChainSource(*(build_source(part, environ) for part in spec.sources))
    raise ConfigError(f"unknown source type {kind!r}")  # pragma: no cover - config validates


#: Above this many secrets, say on stderr that a fetch is under way (it can take a while).
PROGRESS_THRESHOLD = 50


def announce_fetch(config: Config, profiles: list[str] | None) -> None:
    """A progress line on stderr when a fetch covers more than PROGRESS_THRESHOLD secrets."""
    count = len(config.secret_names(config.select(profiles)))
    if count > PROGRESS_THRESHOLD:
        logging.getLogger("rideinfra").info(
            "fetching %d secrets (%d batch request(s) of up to 20)...", count, -(-count // 20)
        )


def render_files(envs: Mapping[str, Env], fmt: Any) -> dict[str, bytes]:
    """Render each profile's Env into ``<profile><extension>`` -> bytes.

    Raises:
        RenderError: a value cannot be written exactly; names profile and variable.
    """
    files: dict[str, bytes] = {}
    for profile, env in envs.items():
        try:
            text: str = fmt.render(env, profile=profile)
        except RenderError as exc:
            raise RenderError(f"profile {profile}: {exc}", variable=exc.variable) from exc
        files[f"{profile}{fmt.extension}"] = text.encode("utf-8")
    return files


Handler = Callable[[argparse.Namespace, Mapping[str, str]], int]


def run_command(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    environ: Mapping[str, str] | None,
    log: logging.Logger,
    handler: Handler | None = None,
) -> int:
    """Parse ``argv``, set up logging, run the handler, map errors to exit codes.

    The one place every entrypoint turns exceptions into exit codes: a
    RideinfraError is one log line and its ``exit_code``; anything else is a
    bug, reported by :func:`internal_error` without its message.
    """
    env = os.environ if environ is None else environ
    args = parser.parse_args(argv)
    configure(args.log_format, args.log_level)
    run: Handler = handler or args.handler
    try:
        return run(args, env)
    except RideinfraError as exc:
        log.error("%s", exc)
        return exc.exit_code
    except Exception as exc:  # noqa: BLE001 - the last line of defence; see internal_error
        return internal_error(log, exc)


def internal_error(log: logging.Logger, exc: BaseException) -> int:
    """Report a bug without its message (which might hold a value); exit 1."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" at {Path(frames[-1].filename).name}:{frames[-1].lineno}" if frames else ""
    log.error(
        "internal error: %s%s; nothing was written. Please report it "
        "(the message is withheld in case it holds a value)",
        type(exc).__name__,
        where,
    )
    return 1
