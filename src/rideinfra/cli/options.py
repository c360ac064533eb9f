"""What the commands share, declared once: their options, the help's exit codes, the lookups.

Each `add_*` adds one option; a command whose help says more about it passes
`help_text=`. The lookups (`config_path`, `output_dir`, `source_for`) say which
option, variable or config key wins, so each precedence rule is in one place.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from rideinfra.errors import ConfigError

if TYPE_CHECKING:
    from rideinfra.cli.base import Handler
    from rideinfra.profiles import Config
    from rideinfra.secrets.base import SecretSource

__all__ = [
    "DEFAULT_CONFIG",
    "DEFAULT_OUTPUT_DIR",
    "EXIT_CODES_HELP",
    "ParserOptions",
    "SubParsers",
    "add_command",
    "add_config",
    "add_format",
    "add_json",
    "add_log",
    "add_out",
    "add_parser",
    "add_profile",
    "add_source",
    "config_from_args",
    "config_path",
    "output_dir",
    "source_for",
    "source_from_option",
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

SubParsers = argparse._SubParsersAction  # argparse names the type of add_subparsers() privately


class ParserOptions(TypedDict):
    """What a command's parser is made with, so a `python -m` module and a subcommand share it."""

    description: str
    epilog: str
    formatter_class: type[argparse.HelpFormatter]


def add_parser(
    sub: SubParsers[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    epilog: str,
) -> argparse.ArgumentParser:
    """A subparser whose help shows its text as written, ending in `epilog` and the exit codes."""
    return sub.add_parser(
        name,
        help=summary,
        description=description,
        epilog=f"{epilog}\n\n{EXIT_CODES_HELP}",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_command(
    sub: SubParsers[argparse.ArgumentParser],
    name: str,
    summary: str,
    description: str,
    examples: str,
    *,
    run: Handler,
    add_options: Callable[[argparse.ArgumentParser], object] | None = None,
) -> None:
    """A subcommand: its options, then the log options; its help ends with examples and exit codes.

    Args:
        sub: the root parser's subcommands.
        name: the command's word (`rideinfra NAME`).
        summary: its line in `rideinfra --help`.
        description: the top of its own `--help`.
        examples: command lines, indented by two spaces, one a line.
        run: what the command does with its parsed arguments.
        add_options: adds the command's own arguments.
    """
    parser = add_parser(sub, name, summary, description, f"examples:\n{examples}")
    if add_options is not None:
        add_options(parser)
    add_log(parser)
    parser.set_defaults(handler=run)


def add_config(parser: argparse.ArgumentParser) -> None:
    """`--config`, for every command that reads rideinfra.yaml."""
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: RIDEINFRA_CONFIG, then ./rideinfra.yaml)",
    )


def add_log(parser: argparse.ArgumentParser) -> None:
    """`--log-format` and `--log-level`, for every command (`run_command` reads them)."""
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


def add_out(parser: argparse.ArgumentParser, help_text: str) -> None:
    """`--out DIR`; what it defaults to differs by command, so each says it."""
    parser.add_argument("--out", metavar="DIR", help=help_text)


def add_profile(parser: argparse.ArgumentParser, help_text: str = "repeatable") -> None:
    """`--profile NAME`, repeatable; none given means every profile."""
    parser.add_argument("--profile", action="append", metavar="NAME", help=help_text)


def add_format(parser: argparse.ArgumentParser, help_text: str = "as for fetch") -> None:
    """`--format FORMAT`: one of the render formats (default: the config's `output.format`)."""
    parser.add_argument("--format", metavar="FORMAT", help=help_text)


def add_source(
    parser: argparse.ArgumentParser,
    help_text: str = "read secrets from file:PATH, directory:PATH, env or aws "
    "instead of the config's source",
) -> None:
    """`--source SPEC`, read by `source_for`."""
    parser.add_argument("--source", metavar="SPEC", help=help_text)


def add_json(parser: argparse.ArgumentParser, help_text: str = "JSON instead of a table") -> None:
    """`--json`: machine-readable output instead of a table."""
    parser.add_argument("--json", action="store_true", help=help_text)


def config_path(cli_value: str | None, environ: Mapping[str, str]) -> Path:
    """--config, else RIDEINFRA_CONFIG, else ./rideinfra.yaml."""
    return Path(cli_value or environ.get("RIDEINFRA_CONFIG") or DEFAULT_CONFIG)


def config_from_args(args: argparse.Namespace, environ: Mapping[str, str]) -> Config:
    """Load the config `--config` (or the environment) names, logging what it holds.

    Raises:
        ConfigError: the file is missing (saying where the path came from and
            how to name another) or invalid.
    """
    from rideinfra.operations import read_config

    path = config_path(args.config, environ)
    if not path.exists() and not path.is_symlink():
        raise ConfigError(_no_config(args.config, environ), file=str(path))
    return read_config(path)


def _no_config(cli_value: str | None, environ: Mapping[str, str]) -> str:
    """What a missing config file is told: where its path came from, and the other ways."""
    if cli_value:
        came = "named by --config"
    elif environ.get("RIDEINFRA_CONFIG"):
        came = "named by RIDEINFRA_CONFIG"
    else:
        came = f"the default ./{DEFAULT_CONFIG} (neither --config nor RIDEINFRA_CONFIG is set)"
    return (
        f"config file not found ({came}); pass --config PATH, or set RIDEINFRA_CONFIG=PATH, "
        f"or run where ./{DEFAULT_CONFIG} is"
    )


def output_dir(cli_value: str | None, environ: Mapping[str, str], config: Config) -> Path:
    """--out, else SECRETS_OUTPUT_DIR, else output.dir of the config, else /secrets."""
    return Path(
        cli_value or environ.get("SECRETS_OUTPUT_DIR") or config.output.dir or DEFAULT_OUTPUT_DIR
    )


def source_from_option(
    option: str,
    environ: Mapping[str, str],
    config: Config | None = None,
    *,
    names_only: bool = False,
) -> SecretSource:
    """`file:PATH`, `directory:PATH`, `env` or `aws` for --source.

    Args:
        option: the --source value.
        environ: the environment the source reads.
        config: the loaded config, whose secrets' `plain:` / `binary:` apply.
        names_only: the command needs names only: a seed file's generated
            fields are present (explain, check, render k8s), not refused.

    Raises:
        ConfigError: any other value.
    """
    from rideinfra.secrets import DirectorySource, EnvSource, FileSource, SecretsManagerSource

    per_secret = config.parse_options if config is not None else None
    kind, _, value = option.partition(":")
    if kind == "file" and value:
        return FileSource(value, per_secret=per_secret, names_only=names_only)
    if kind == "directory" and value:
        return DirectorySource(value, per_secret=per_secret)
    if kind == "env":
        return EnvSource(environ, per_secret=per_secret)
    if kind == "aws":
        return SecretsManagerSource(environ=environ, per_secret=per_secret)
    raise ConfigError(
        f"--source {option!r}: use file:PATH, directory:PATH, env or aws", path="--source"
    )


def source_for(
    args: argparse.Namespace,
    config: Config,
    environ: Mapping[str, str],
    *,
    names_only: bool = False,
) -> SecretSource:
    """--source when given, else the source the config describes.

    Args:
        args: the parsed command line (`--source`).
        config: the loaded config.
        environ: the environment the source reads.
        names_only: the command reads names, never values (explain, check,
            render k8s): a seed file's generated fields count as present.
            Commands that write or compare values leave it False.

    Raises:
        ConfigError: a --source this does not know.
    """
    if args.source:
        return source_from_option(args.source, environ, config, names_only=names_only)
    from rideinfra.operations import config_source

    return config_source(config, environ, names_only=names_only)
