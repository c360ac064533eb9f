"""`rideinfra diff`: what a fetch would change, per file and variable (names only).

Values only with `--show-values`, masked but for their last two characters.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rideinfra.cli import options
from rideinfra.cli.tables import print_table

if TYPE_CHECKING:
    from rideinfra.operations import FileDiff

__all__ = ["register", "run"]

HEADERS = ("FILE", "CHANGE", "VARIABLE", "OLD", "NEW")


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """A table (or `--json`) of the files and variables a fetch would change."""
    import attrs

    from rideinfra.operations import diff_output
    from rideinfra.render import get_format

    config = options.config_from_args(args, environ)
    fmt = get_format(args.format or config.output.format)
    source = options.source_for(args, config, environ)
    out = options.output_dir(args.out, environ, config)
    diffs = diff_output(
        config, source, out, profiles=args.profile, output_format=fmt, show_values=args.show_values
    )
    if args.json:
        print(json.dumps([attrs.asdict(d) for d in diffs], indent=2))
        return 0
    rows = [row for d in diffs for row in _rows(d)]
    if args.show_values:
        print_table(HEADERS, rows, environ)
    else:
        print_table(HEADERS[:3], [row[:3] for row in rows], environ)
    return 0


def _rows(diff: FileDiff) -> list[tuple[str, ...]]:
    """One row per changed variable of a file, or one for the whole file."""
    if diff.state != "changed" or not diff.detailed:
        detail = "" if diff.detailed else "(old file not readable as variables)"
        return [(diff.file, diff.state, detail, "", "")]
    rows: list[tuple[str, ...]] = []
    for change, names in (
        ("added", diff.added),
        ("removed", diff.removed),
        ("changed", diff.changed),
    ):
        for name in names:
            old, new = diff.shown.get(name, ("", ""))
            rows.append((diff.file, change, name, old, new))
    return rows


def add_options(parser: argparse.ArgumentParser) -> None:
    """--config, --out, --profile, --format, --source, --show-values, --json."""
    options.add_config(parser)
    options.add_out(parser, "output directory (as for fetch)")
    options.add_profile(parser)
    options.add_format(parser)
    options.add_source(parser)
    parser.add_argument(
        "--show-values",
        action="store_true",
        help="also show old and new values of changed variables, all but the last 2 "
        "characters masked (an explicit opt-in: do not use it in shared logs)",
    )
    options.add_json(parser)


EXIT_CODES: options.ExitCodes = {
    0: "no file would change",
    1: "a file would change (as diff(1) and `git diff --exit-code`), or a secret could not\n"
    "be fetched, transformed or rendered",
    2: options.USAGE_ERROR,
}


def register(sub: options.SubParsers[argparse.ArgumentParser]) -> None:
    """`rideinfra diff`."""
    options.add_command(
        sub,
        "diff",
        "what a fetch would change, per file and variable (names only)",
        "Fetch and render as `fetch` would, and compare with the files in the output "
        "directory: files new, changed or unchanged, and per changed file the variables "
        "added, removed or changed. Writes nothing.",
        "  rideinfra diff --out /secrets\n"
        "  rideinfra diff --profile core --show-values   # masked: ********ab",
        exit_codes=EXIT_CODES,
        run=run,
        add_options=add_options,
    )
