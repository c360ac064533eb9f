"""`rideinfra schema`: the JSON Schema of rideinfra.yaml, for editors."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping

from rideinfra.cli import options

__all__ = ["COMMAND", "run"]


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Print the schema."""
    from rideinfra.profiles import config_json_schema

    del args, environ
    print(json.dumps(config_json_schema(), indent=2, sort_keys=True))
    return 0


COMMAND = options.Command(
    "schema",
    "print the JSON Schema of rideinfra.yaml",
    "Print the JSON Schema of rideinfra.yaml, for editor completion and validation.",
    "  rideinfra schema > rideinfra.schema.json",
    exit_codes={0: "the schema was printed", 2: "bad usage"},
    run=run,
)
