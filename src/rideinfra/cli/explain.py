"""`rideinfra explain [PROFILE]`: where each variable comes from, never a value."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping

from rideinfra.cli import options
from rideinfra.cli.tables import print_table

__all__ = ["COMMAND", "run"]


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """A table (or `--json`) of variable <- secret:field via transforms."""
    from rideinfra._record import as_dict
    from rideinfra.operations import explain
    from rideinfra.profiles.explain import EXPLAIN_HEADERS

    config = options.config_from_args(args, environ)
    source = options.source_for(args, config, environ, names_only=True)
    rows = explain(config, source, profiles=[args.profile] if args.profile else None)
    if args.json:
        print(json.dumps([as_dict(row) for row in rows], indent=2))
    else:
        print_table(EXPLAIN_HEADERS, [row.cells() for row in rows], environ)
    return 0


def add_options(parser: argparse.ArgumentParser) -> None:
    """PROFILE, --config, --source, --json."""
    parser.add_argument("profile", nargs="?", help="one profile (default: all)")
    options.add_config(parser)
    options.add_source(parser)
    options.add_json(parser, "one JSON array instead of a table")


COMMAND = options.Command(
    "explain",
    "show where each variable comes from (no values)",
    "A table of variable <- secret:field via transforms, per profile. Reads the "
    "secrets (their field names decide some variable names) but never shows a value.",
    "  rideinfra explain data-pipeline\n"
    "  rideinfra explain --source file:examples/rideshare/seed.yaml --json",
    exit_codes={
        0: "the table (or JSON) was printed",
        1: "a secret could not be read or transformed",
    },
    run=run,
    add_options=add_options,
)
