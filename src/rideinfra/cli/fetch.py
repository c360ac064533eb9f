"""`rideinfra fetch` and `python -m rideinfra.fetch`: the secrets-init job.

Fetch every secret the config names (one batched read), transform, render one
file per profile and write them all-or-nothing: `fetch_and_write`, or
`check_output` for `--check`.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Mapping, Sequence

from rideinfra.__about__ import __version__
from rideinfra.cli.base import run_command
from rideinfra.cli.options import (
    EXIT_CODES_HELP,
    ParserOptions,
    SubParsers,
    add_config_option,
    add_format_option,
    add_log_options,
    add_out_option,
    add_profile_option,
    config_from_args,
    output_dir,
)

__all__ = ["build_parser", "main", "register", "run"]

log = logging.getLogger("rideinfra.fetch")

DESCRIPTION = """\
Fetch secrets and write one file per profile (the secrets-init job).

Reads every secret the config names from its source in one batched call,
applies the transforms, renders each profile and writes all files together or
not at all. Values never appear in the output or the logs.
"""

EXAMPLES = """\
examples:
  python -m rideinfra.fetch --config rideinfra.yaml --out /secrets
  AWS_ENDPOINT_URL=http://localstack:4566 python -m rideinfra.fetch --profile core
  python -m rideinfra.fetch --dry-run        # which files would change, and how many variables
  python -m rideinfra.fetch --check          # exit 1 when the files differ from the store

environment:
  RIDEINFRA_CONFIG     config file when --config is not given (default ./rideinfra.yaml)
  SECRETS_OUTPUT_DIR   output directory when --out is not given (then output.dir, then /secrets)
  AWS_ENDPOINT_URL     Secrets Manager endpoint (LocalStack, moto); unset for real AWS
  AWS_DEFAULT_REGION   region when the config names none (AWS_REGION wins if set; else us-east-1)
  AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_PROFILE, ...   the usual AWS credentials chain

"""

PARSER_OPTIONS = ParserOptions(
    description=DESCRIPTION,
    epilog=EXAMPLES + EXIT_CODES_HELP,
    formatter_class=argparse.RawDescriptionHelpFormatter,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The fetch options, the same for the module and the subcommand."""
    add_config_option(parser)
    add_out_option(
        parser, "output directory (default: SECRETS_OUTPUT_DIR, then output.dir, then /secrets)"
    )
    add_profile_option(parser, "write only this profile; repeatable (default: every profile)")
    add_format_option(
        parser,
        "env (default), shell, compose, dotenv, raw, json or k8s-secret "
        "(default: output.format of the config)",
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--dry-run",
        action="store_true",
        help="fetch and render, say which files would change; write nothing",
    )
    mode.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the files on disk differ from what the store gives; write nothing",
    )
    add_log_options(parser)
    parser.add_argument("--version", action="version", version=f"rideinfra {__version__}")


def register(sub: SubParsers[argparse.ArgumentParser]) -> None:
    """`rideinfra fetch`."""
    parser = sub.add_parser(
        "fetch", help="fetch secrets and write one file per profile", **PARSER_OPTIONS
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


def build_parser(prog: str = "python -m rideinfra.fetch") -> argparse.ArgumentParser:
    """The `python -m rideinfra.fetch` command line."""
    parser = argparse.ArgumentParser(prog=prog, **PARSER_OPTIONS)
    add_arguments(parser)
    return parser


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Carry out a parsed fetch command; returns the exit code."""
    from rideinfra.operations import build_source, check_output, fetch_and_write
    from rideinfra.render import get_format

    config = config_from_args(args, environ)
    out = output_dir(args.out, environ, config)
    fmt = get_format(args.format or config.output.format)
    source = build_source(config.source, environ)
    if args.check:
        differ = check_output(config, source, out, profiles=args.profile, output_format=fmt)
        return 1 if differ else 0
    fetch_and_write(
        config, source, out, profiles=args.profile, output_format=fmt, dry_run=args.dry_run
    )
    return 0


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """`python -m rideinfra.fetch`: parse `argv`, run, map errors to the documented exit codes."""
    return run_command(build_parser(), argv, environ, log, run)
