"""`rideinfra demo`: seed an embedded Secrets Manager and run the real fetch against it."""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rideinfra.cli import options
from rideinfra.errors import printable

if TYPE_CHECKING:
    from rideinfra.operations.demo import DemoRun

__all__ = ["register", "run", "show"]

# The top of `rideinfra demo --help`: plain text, as a terminal shows it.
DESCRIPTION = """\
The whole secrets-init job on an embedded Secrets Manager.

Starts a local Secrets Manager endpoint (a moto server, from the 'local'
extra) on 127.0.0.1, seeds the rideshare example into it, and runs the real
fetch against it over HTTP, exactly as an init container talks to
LocalStack. No Docker, no network, no AWS account.
"""

EXIT_CODES: options.ExitCodes = {
    0: "the files were written and listed (values masked)",
    1: "the embedded store could not start, or the fetch or the write failed",
    2: "bad usage, or the 'local' extra or the bundled example is missing",
}


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Run the demo, then list the files it wrote with their values masked."""
    from rideinfra.operations import run_demo

    show(args.out, run_demo(args.out, environ))
    return 0


def show(directory: str, demo: DemoRun) -> None:
    """Print each profile file's variables with their values masked.

    The names come from what the demo resolved, not from reading the files
    back: a value of several lines would make its later lines look like names.
    """
    from rideinfra.secrets.model import MASK

    print(f"Files written to {printable(directory)}/ (values masked):")
    for file, names in sorted(demo.variables.items()):
        print(f"\n{printable(file)}  ({len(names)} variables)")
        for name in names:
            print(f"  {printable(name)}={MASK}")


def register(sub: options.SubParsers[argparse.ArgumentParser]) -> None:
    """`rideinfra demo`."""
    parser = options.add_parser(
        sub,
        "demo",
        "seed an embedded Secrets Manager and run the real fetch against it",
        DESCRIPTION,
        "example:\n  rideinfra demo --out demo-secrets",
        exit_codes=EXIT_CODES,
    )
    parser.add_argument(
        "--out",
        metavar="DIR",
        default="demo-secrets",
        help="where to write the profile files (default: ./demo-secrets)",
    )
    options.add_log(parser)
    parser.set_defaults(handler=run)
