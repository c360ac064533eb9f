"""``python -m rideinfra.fetch``: the secrets-init job.

Fetch every secret the config names (one batched read), transform, render one
file per profile and write them all-or-nothing. Thin: it parses arguments and
calls the library.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from collections.abc import Mapping, Sequence

from rideinfra.__about__ import __version__
from rideinfra.runner import (
    EXIT_CODES_HELP,
    ParserOptions,
    add_config_arguments,
    add_log_arguments,
    announce_fetch,
    build_source,
    load_config_from_args,
    output_dir,
    render_files,
    run_command,
)

__all__ = ["add_arguments", "build_parser", "main", "parser_options", "run"]

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


def parser_options() -> ParserOptions:
    """Description, epilog and formatter, shared by the module and ``rideinfra fetch``."""
    return ParserOptions(
        description=DESCRIPTION,
        epilog=EXAMPLES + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the fetch options to ``parser``."""
    add_config_arguments(parser)
    parser.add_argument(
        "--out",
        metavar="DIR",
        help="output directory (default: SECRETS_OUTPUT_DIR, then output.dir, then /secrets)",
    )
    parser.add_argument(
        "--profile",
        action="append",
        metavar="NAME",
        help="write only this profile; repeatable (default: every profile)",
    )
    parser.add_argument(
        "--format",
        metavar="FORMAT",
        help="env (default), shell, compose, dotenv, raw, json or k8s-secret "
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
    add_log_arguments(parser)
    parser.add_argument("--version", action="version", version=f"rideinfra {__version__}")


def build_parser(prog: str = "python -m rideinfra.fetch") -> argparse.ArgumentParser:
    """The fetch command line."""
    parser = argparse.ArgumentParser(prog=prog, **parser_options())
    add_arguments(parser)
    return parser


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Carry out a parsed fetch command; returns the exit code."""
    from rideinfra.profiles import resolve
    from rideinfra.render import get_format
    from rideinfra.render.write import check_files, write_files

    config = load_config_from_args(args, environ)
    out = output_dir(args.out, environ, config)
    fmt = get_format(args.format or config.output.format)
    source = build_source(config.source, environ)
    announce_fetch(config, args.profile)
    started = time.perf_counter()
    envs = resolve(config, source, profiles=args.profile)
    variables = sum(len(env) for env in envs.values())
    log.info(
        "resolved %d profile(s), %d variable(s) in %.2fs",
        len(envs),
        variables,
        time.perf_counter() - started,
    )
    files = render_files(envs, fmt)
    if args.check:
        differ = check_files(out, files)
        if differ:
            log.error("out of date in %s: %s", out, ", ".join(differ))
            return 1
        log.info("up to date: %s (%d file(s))", out, len(files))
        return 0
    report = write_files(out, files, file_mode=config.output.file_mode, dry_run=args.dry_run)
    for name in files:
        state = "would change" if args.dry_run else "written"
        if name in report.unchanged:
            state = "unchanged"
        log.info("%s: %s (%d variable(s))", name, state, len(envs[_profile_of(name, fmt)]))
    log.info("%s", report.summary())
    return 0


def _profile_of(file_name: str, fmt: object) -> str:
    extension = str(getattr(fmt, "extension", ""))
    return file_name[: -len(extension)] if extension else file_name


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Entrypoint: parse ``argv``, run, map errors to the documented exit codes."""
    return run_command(build_parser(), argv, environ, log, run)


if __name__ == "__main__":
    sys.exit(main())
