"""`rideinfra fetch` and `python -m rideinfra.fetch`: the secrets-init job.

Fetch every secret the config names (one batched read), transform, render one
file per profile and write them all-or-nothing: `fetch_and_write`, or
`check_output` for `--check`.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from rideinfra.cli import options
from rideinfra.cli.base import ModuleCommand

__all__ = ["COMMAND", "main", "run"]

SUMMARY = "fetch secrets and write one file per profile"

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

EXIT_CODES: options.ExitCodes = {
    0: "done: files written, or already up to date",
    1: "a secret could not be fetched, transformed, rendered or written; nothing was written\n"
    "(with --check: the files differ from the store)",
}

PARSER_OPTIONS = options.ParserOptions(
    description=DESCRIPTION,
    epilog=EXAMPLES + options.exit_codes_help(EXIT_CODES),
    formatter_class=argparse.RawDescriptionHelpFormatter,
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The fetch options, the same for the module and the subcommand."""
    options.add_config(parser)
    options.add_out(
        parser, "output directory (default: SECRETS_OUTPUT_DIR, then output.dir, then /secrets)"
    )
    options.add_profile(parser, "write only this profile; repeatable (default: every profile)")
    options.add_format(
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
    options.add_log(parser)
    options.add_version(parser)


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Carry out a parsed fetch command; returns the exit code."""
    from rideinfra.operations import check_output, config_source, fetch_and_write
    from rideinfra.render import get_format

    config = options.config_from_args(args, environ)
    out = options.output_dir(args.out, environ, config)
    fmt = get_format(args.format or config.output.format)
    source = config_source(config, environ)
    if args.check:
        differ = check_output(config, source, out, profiles=args.profile, output_format=fmt)
        return 1 if differ else 0
    fetch_and_write(
        config, source, out, profiles=args.profile, output_format=fmt, dry_run=args.dry_run
    )
    return 0


COMMAND = ModuleCommand("fetch", SUMMARY, PARSER_OPTIONS, add_arguments, run)
main = COMMAND.main  # `python -m rideinfra.fetch`
