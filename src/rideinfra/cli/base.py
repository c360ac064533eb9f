"""Running a command: parse, set up logging, call the handler, turn exceptions into exit codes.

The one place that decides an exit status (like pip's `base_command.py`): a
`RideinfraError` is one log line and its `exit_code` (2 bad usage or config,
1 fetch/transform/render/write failure); anything else is a bug, reported by
`internal_error` without its message. argparse itself exits 2 on bad usage.
"""

from __future__ import annotations

import argparse
import logging
import os
import traceback
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from rideinfra._gc import pause_for_this_process, resume_for_long_run
from rideinfra._record import Record
from rideinfra.cli.logs import command_logging
from rideinfra.errors import RideinfraError

if TYPE_CHECKING:
    from rideinfra.cli.options import ParserOptions, SubParsers

__all__ = ["Handler", "ModuleCommand", "internal_error", "run_command"]

#: What a command module gives the parser: parsed arguments and the environment in, exit code out.
Handler = Callable[[argparse.Namespace, Mapping[str, str]], int]


def run_command(
    parser: argparse.ArgumentParser,
    argv: Sequence[str] | None,
    environ: Mapping[str, str] | None,
    log: logging.Logger,
    handler: Handler | None = None,
) -> int:
    """Parse `argv`, set up logging, run the handler, map errors to exit codes.

    Args:
        parser: the command's parser; without `handler`, each subcommand sets
            its own with `set_defaults(handler=...)`.
        argv: the arguments (default: `sys.argv[1:]`).
        environ: the environment (default: `os.environ`); only here is it read.
        log: where errors are reported.
        handler: the command, for a parser without subcommands.
    """
    env = os.environ if environ is None else environ
    args = parser.parse_args(argv)
    run: Handler = handler or args.handler
    with command_logging(args.log_format, args.log_level):
        try:
            if getattr(args, "long_running", False):
                resume_for_long_run()  # the entry point paused the collector for a short process
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


class ModuleCommand(Record):
    """A command that is also `python -m rideinfra.NAME`: one set of options, two parsers.

    Attributes:
        name: `fetch` is `rideinfra fetch` and `python -m rideinfra.fetch`.
        summary: its line in `rideinfra --help`.
        parser_options: description, epilog and formatter of both parsers.
        add_arguments: declares the options, the same for both.
        run: what the command does; errors go to the `rideinfra.NAME` logger.
    """

    __slots__ = ("name", "summary", "parser_options", "add_arguments", "run")
    name: str
    summary: str
    parser_options: ParserOptions
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Handler

    def __init__(
        self,
        name: str,
        summary: str,
        parser_options: ParserOptions,
        add_arguments: Callable[[argparse.ArgumentParser], None],
        run: Handler,
    ) -> None:
        self._init(
            name=name,
            summary=summary,
            parser_options=parser_options,
            add_arguments=add_arguments,
            run=run,
        )

    def register(self, sub: SubParsers[argparse.ArgumentParser]) -> None:
        """Add `rideinfra NAME` to the root parser."""
        parser = sub.add_parser(self.name, help=self.summary, **self.parser_options)
        self.add_arguments(parser)
        parser.set_defaults(handler=self.run, long_running=False)

    def build_parser(self) -> argparse.ArgumentParser:
        """The `python -m rideinfra.NAME` parser."""
        from rideinfra.cli.options import Parser

        parser = Parser(prog=f"python -m rideinfra.{self.name}", **self.parser_options)
        self.add_arguments(parser)
        return parser

    def main(
        self, argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None
    ) -> int:
        """`python -m rideinfra.NAME`: parse `argv`, run, map errors to the exit codes."""
        log = logging.getLogger(f"rideinfra.{self.name}")
        return run_command(self.build_parser(), argv, environ, log, self.run)

    def main_of_process(self) -> int:
        """`main()` as the program `python -m rideinfra.NAME` is, its garbage collector paused.

        The pause (rideinfra/_gc.py) is for a process that runs one command and
        exits; `main()` itself, which a program may call, changes nothing.
        """
        pause_for_this_process()
        return self.main()
