"""`rideinfra explain [PROFILE]`: where each variable comes from, never a value."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping

from rideinfra.cli.options import (
    SubParsers,
    add_command,
    add_config_option,
    add_json_option,
    add_log_options,
    add_source_option,
    config_from_args,
    source_for,
)
from rideinfra.cli.tables import print_table

__all__ = ["register", "run"]


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """A table (or `--json`) of variable <- secret:field via transforms."""
    import attrs

    from rideinfra.operations import explain
    from rideinfra.profiles.explain import EXPLAIN_HEADERS

    config = config_from_args(args, environ)
    rows = explain(
        config, source_for(args, config, environ), profiles=[args.profile] if args.profile else None
    )
    if args.json:
        print(json.dumps([attrs.asdict(row) for row in rows], indent=2))
        return 0
    print_table(EXPLAIN_HEADERS, [row.cells() for row in rows], environ)
    return 0


def register(sub: SubParsers[argparse.ArgumentParser]) -> None:
    """`rideinfra explain [PROFILE]`."""
    parser = add_command(
        sub,
        "explain",
        "show where each variable comes from (no values)",
        "A table of variable <- secret:field via transforms, per profile. Reads the "
        "secrets (their field names decide some variable names) but never shows a value.",
        "  rideinfra explain data-pipeline\n"
        "  rideinfra explain --source file:examples/rideshare/seed.yaml --json",
    )
    parser.add_argument("profile", nargs="?", help="one profile (default: all)")
    add_config_option(parser)
    add_source_option(parser)
    add_json_option(parser, "one JSON array instead of a table")
    add_log_options(parser)
    parser.set_defaults(handler=run)
