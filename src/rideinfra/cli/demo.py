"""`rideinfra demo`: seed an embedded Secrets Manager and run the real fetch against it."""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping
from pathlib import Path

from rideinfra.cli import options

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

_VARIABLE = re.compile(r"^(?:export )?([A-Za-z_][A-Za-z0-9_]*)=", re.MULTILINE)


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Run the demo, then show the files it wrote with their values masked."""
    from rideinfra.operations import run_demo

    run_demo(args.out, environ)
    show(Path(args.out))
    return 0


def show(directory: Path) -> None:
    """Print each profile file's variables with their values masked."""
    from rideinfra.secrets.model import MASK

    print(f"Files written to {directory}/ (values masked):")
    for path in sorted(directory.iterdir()):
        if path.name.startswith(".") or not path.is_file():
            continue
        names = _VARIABLE.findall(path.read_text(encoding="utf-8"))
        print(f"\n{path.name}  ({len(names)} variables)")
        for name in names:
            print(f"  {name}={MASK}")


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
