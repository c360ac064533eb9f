"""The command line: `rideinfra COMMAND`, and what `python -m rideinfra.fetch` / `.seed` run.

One module per command (`fetch`, `seed`, `explain`, `diff`, `check`,
`schema`, `render`, `demo`, `run`, `watch`, `completion`; `about` has `help` and
`version`), each declaring its parser, its exit codes and a handler that calls
`rideinfra.operations`; `options` declares the parser class and the shared
options once; `base` is the one place that turns exceptions into exit codes.
`rideinfra __complete WORD...` is the hidden entry the shell completion
scripts call (`completion.complete`).
Only the `python -m` shims import this package (tests/test_layers.py keeps it so).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import typing

if typing.TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

__all__ = ["build_parser", "console_main", "main"]

_log = logging.getLogger("rideinfra.cli")


def build_parser() -> argparse.ArgumentParser:
    """The `rideinfra` parser with every subcommand."""
    # Imported here: `python -m rideinfra.fetch` loads this package but needs no other command.
    from rideinfra.cli import (
        about,
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
    from rideinfra.cli.options import Parser, add_version, exit_codes_help

    parser: argparse.ArgumentParser = Parser(
        prog="rideinfra",
        description="Fetch, transform, render and write secrets for every deployment profile.",
        epilog="Run 'rideinfra help COMMAND' (or 'rideinfra COMMAND --help') for a command's "
        "options,\nexamples and the exit codes it can return. In short:\n\n"
        + exit_codes_help(_ROOT_EXIT_CODES),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_version(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in (
        fetch.COMMAND,
        seed.COMMAND,
        explain.COMMAND,
        diff.COMMAND,
        check.COMMAND,
        schema.COMMAND,
        render,  # render and demo build their parsers themselves (render: one per target)
        demo,
        run.COMMAND,
        watch.COMMAND,
    ):
        command.register(sub)  # in the order of `rideinfra --help`
    completion.register(sub, parser)
    about.register(sub, parser)
    return parser


#: The summary in `rideinfra --help`; each command's help lists its own.
_ROOT_EXIT_CODES = {
    0: "done",
    1: "a secret could not be fetched, transformed, rendered or written;\n"
    "for check, diff and fetch --check: a difference was found",
}


def console_main() -> int:
    """The `rideinfra` console script: `main()` in a process of its own (rideinfra/_gc.py)."""
    from rideinfra._gc import pause_for_this_process

    pause_for_this_process()
    return main()


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """`rideinfra` in process (`console_main` is the console script): parse, run, exit code.

    Args:
        argv: the arguments (default: `sys.argv[1:]`).
        environ: the environment (default: `os.environ`).

    Returns:
        The exit code: 0 done, 1 a fetch/transform/render/write failure, 2 bad usage or config.
    """
    from rideinfra.cli.base import run_command

    words = sys.argv[1:] if argv is None else list(argv)
    if words[:1] == ["__complete"]:  # hidden: what the completion scripts call on TAB
        from rideinfra.cli.completion import complete_command

        return complete_command(build_parser, words[1:], os.environ if environ is None else environ)
    return run_command(build_parser(), words, environ, _log)
