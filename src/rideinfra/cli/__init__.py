"""The command line: `rideinfra COMMAND`, and what `python -m rideinfra.fetch` / `.seed` run.

One module per command (`fetch`, `seed`, `explain`, `diff`, `check`,
`schema`, `render`, `demo`, `run`, `watch`, `completion`), each declaring its parser and a
handler that calls `rideinfra.operations`; `options` declares the shared
options once; `base` is the one place that turns exceptions into exit codes.
Only the `python -m` shims import this package (tests/test_layers.py keeps it so).
"""

from __future__ import annotations

import argparse
import logging
import typing

if typing.TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["build_parser", "main"]

_log = logging.getLogger("rideinfra.cli")


def build_parser() -> argparse.ArgumentParser:
    """The `rideinfra` parser with every subcommand."""
    # Imported here: `python -m rideinfra.fetch` loads this package but needs no other command.
    from rideinfra.__about__ import __version__
    from rideinfra.cli import (
        check,
        completion,
        demo,
        diff,
        explain,
        fetch,
        render,
        run,
        schema,
        seed,
        watch,
    )
    from rideinfra.cli.options import EXIT_CODES_HELP

    parser = argparse.ArgumentParser(
        prog="rideinfra",
        description="Fetch, transform, render and write secrets for every deployment profile.",
        epilog="Run 'rideinfra COMMAND --help' for a command's options and examples.\n\n"
        + EXIT_CODES_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"rideinfra {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in (
        fetch.COMMAND,
        seed.COMMAND,
        explain,
        diff,
        check,
        schema,
        render,
        demo,
        run,
        watch,
    ):
        command.register(sub)  # in the order of `rideinfra --help`
    completion.register(sub, parser)
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The `rideinfra` console script: parse, dispatch, map errors to exit codes.

    Args:
        argv: the arguments (default: `sys.argv[1:]`).
        environ: the environment (default: `os.environ`).

    Returns:
        The exit code: 0 done, 1 a fetch/transform/render/write failure, 2 bad usage or config.
    """
    from rideinfra.cli.base import run_command

    return run_command(build_parser(), argv, environ, _log)
