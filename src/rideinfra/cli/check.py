"""`rideinfra check`: compare the store with the config; exit 1 on drift (for CI)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping

from rideinfra.cli import options
from rideinfra.cli.tables import print_table

__all__ = ["COMMAND", "run"]


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """Print every disagreement (or `ok`); 1 when there is any."""
    from rideinfra._record import as_dict
    from rideinfra.operations import check_store

    config = options.config_from_args(args, environ)
    source = options.source_for(args, config, environ, names_only=True)
    report = check_store(config, source, profiles=args.profile, prefix=args.prefix)
    rows = [("missing-secret", name, why) for name, why in report.missing_secrets]
    rows += [("secret-format", name, why) for name, why in report.unreadable]
    rows += [("profile", name, why) for name, why in report.problems]
    rows += [("unused-secret", name, f"under {report.prefix}") for name in report.unused]
    if args.json:
        print(json.dumps(as_dict(report) | {"ok": report.ok}, indent=2))
    elif rows:
        print_table(("PROBLEM", "NAME", "DETAIL"), rows, environ)
    else:
        print("ok: the store has every secret and field the config uses")
    return 0 if report.ok else 1


def add_options(parser: argparse.ArgumentParser) -> None:
    """--config, --profile, --prefix, --source, --json."""
    options.add_config(parser)
    options.add_profile(parser)
    parser.add_argument(
        "--prefix",
        help="where to look for unused secrets (default: the configured names' common prefix)",
    )
    options.add_source(parser)
    options.add_json(parser)


COMMAND = options.Command(
    "check",
    "compare the store with the config; exit 1 on drift (for CI)",
    "Report every secret the config needs that the store lacks, every field a "
    "transform expects that a secret lacks (and other per-profile problems), and "
    "the secrets under the config's common prefix (e.g. rideshare/) that no profile "
    "uses. Exit 1 when there is any. Never shows a value.",
    "  rideinfra check --config rideinfra.yaml\n  rideinfra check --json --prefix rideshare/",
    exit_codes={
        0: "the store has every secret and field the config uses",
        1: "drift (each problem is listed), or the store could not be read",
    },
    run=run,
    add_options=add_options,
)
