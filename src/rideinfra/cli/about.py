"""`rideinfra help [COMMAND]` and `rideinfra version`: what git and kubectl users type first."""

from __future__ import annotations

import argparse
from collections.abc import Mapping

from rideinfra.cli import options

__all__ = ["register"]


def register(
    sub: options.SubParsers[argparse.ArgumentParser], root: argparse.ArgumentParser
) -> None:
    """`rideinfra help [COMMAND...]` (the help of `root` or a command), `rideinfra version`."""

    def show_help(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
        del environ
        # The same text and exit as `rideinfra COMMAND --help`, and for an unknown
        # command the same refusal, with the closest name, as `rideinfra COMMAND`.
        root.parse_args([*args.topic, "--help"])
        return 0  # not reached: --help exits

    def show_version(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
        from rideinfra.__about__ import __version__

        del args, environ
        print(f"rideinfra {__version__}")
        return 0

    options.add_command(
        sub,
        "help",
        "show the help of rideinfra or of a command",
        "Show the help of rideinfra, or of a command: 'rideinfra help render k8s' is "
        "'rideinfra render k8s --help'.",
        "  rideinfra help\n  rideinfra help fetch\n  rideinfra help render k8s",
        exit_codes={0: "the help was shown", 2: "no such command (the closest one is named)"},
        run=show_help,
        add_options=lambda parser: parser.add_argument(
            "topic", nargs="*", metavar="COMMAND", help="a command, e.g. fetch or render k8s"
        ),
    )
    options.add_command(
        sub,
        "version",
        "print the version (as --version and -V)",
        "Print the version of rideinfra, as 'rideinfra --version' and 'rideinfra -V' do.",
        "  rideinfra version",
        exit_codes={0: "the version was printed", 2: "bad usage"},
        run=show_version,
    )
