"""The ``rideinfra`` command: one console script, one subcommand per job.

Each subcommand is thin: it parses its arguments and calls the same library
functions ``python -m rideinfra.fetch`` / ``.seed`` use.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Mapping, Sequence

from rideinfra import commands, demo, fetch, render_commands, seed
from rideinfra.__about__ import __version__
from rideinfra.runner import EXIT_CODES_HELP, add_log_arguments, run_command

__all__ = ["build_parser", "main"]

log = logging.getLogger("rideinfra.cli")


def build_parser() -> argparse.ArgumentParser:
    """The ``rideinfra`` parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="rideinfra",
        description="Fetch, transform, render and write secrets for every deployment profile.",
        epilog="Run 'rideinfra COMMAND --help' for a command's options and examples.\n\n"
        + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rideinfra {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    fetch_parser = sub.add_parser(
        "fetch", help="fetch secrets and write one file per profile", **fetch.parser_options()
    )
    fetch.add_arguments(fetch_parser)
    fetch_parser.set_defaults(handler=fetch.run)

    seed_parser = sub.add_parser(
        "seed", help="create or update secrets from a seed file", **seed.parser_options()
    )
    seed.add_arguments(seed_parser)
    seed_parser.set_defaults(handler=seed.run)

    commands.add_explain(sub)
    commands.add_diff(sub)
    commands.add_check(sub)
    commands.add_schema(sub)
    render_commands.add_render(sub)

    demo_parser = sub.add_parser(
        "demo",
        help="seed an embedded Secrets Manager and run the real fetch against it",
        description=demo.__doc__,
        epilog="example:\n  rideinfra demo --out demo-secrets\n\n" + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    demo.add_arguments(demo_parser)
    add_log_arguments(demo_parser)
    demo_parser.set_defaults(handler=demo.run)

    commands.add_completion(sub, parser)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Console script entry: parse, dispatch, map errors to exit codes."""
    return run_command(build_parser(), argv, environ, log)


if __name__ == "__main__":
    sys.exit(main())
