"""`rideinfra help [COMMAND]` and `rideinfra version`: what git and kubectl users type first."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from rideinfra.cli import options

if TYPE_CHECKING:
    from rideinfra.cli.base import Handler

__all__ = ["register"]


def register(
    sub: options.SubParsers[argparse.ArgumentParser], root: argparse.ArgumentParser
) -> None:
    """`rideinfra help [COMMAND...]` (the help of `root` or a command), `rideinfra version`.

    Each is `root` given the option's words, so the text, the exit and (for an
    unknown command) the refusal with the closest name are the option's own.
    """

    def as_root(words: Callable[[argparse.Namespace], list[str]]) -> Handler:
        def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
            del environ
            root.parse_args(words(args))
            return 0  # not reached: --help and --version exit

        return run

    options.Command(
        "help",
        "show the help of rideinfra or of a command",
        "Show the help of rideinfra, or of a command: 'rideinfra help render k8s' is "
        "'rideinfra render k8s --help'.",
        "  rideinfra help\n  rideinfra help fetch\n  rideinfra help render k8s",
        exit_codes={0: "the help was shown", 2: "no such command (the closest one is named)"},
        run=as_root(lambda args: [*_topic(root, args.topic), "--help"]),
        add_options=lambda parser: parser.add_argument(
            "topic", nargs="*", metavar="COMMAND", help="a command, e.g. fetch or render k8s"
        ),
    ).register(sub)
    options.Command(
        "version",
        "print the version (as --version and -V)",
        "Print the version of rideinfra, as 'rideinfra --version' and 'rideinfra -V' do.",
        "  rideinfra version",
        exit_codes={0: "the version was printed", 2: "bad usage"},
        run=as_root(lambda _: ["--version"]),
    ).register(sub)


def _topic(root: argparse.ArgumentParser, words: list[str]) -> list[str]:
    """`words` if they name a command; a word past a command with no subcommands is refused.

    argparse shows the help at `--help` whatever follows it, so `help render
    k8s extra` would be `render k8s`'s help, exit 0, the typo unsaid. An
    unknown command is argparse's own refusal (with the closest name).
    """
    parser = root
    for at, word in enumerate(words):
        sub = options.subcommands(parser)
        if sub is None:
            command = " ".join(["rideinfra", *words[:at]])
            root.error(
                f"{command} has no subcommand {word!r}; try: rideinfra help {' '.join(words[:at])}"
            )
        if word not in sub.choices:
            break  # argparse refuses it, naming the closest command
        parser = sub.choices[word]
    return words
