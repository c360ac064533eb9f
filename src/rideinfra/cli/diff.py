"""`rideinfra diff`: what a fetch would change, per file and variable (names only).

Values only with `--show-values`, masked but for their last two characters.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping

from rideinfra.cli.options import (
    SubParsers,
    add_command,
    add_config_option,
    add_format_option,
    add_json_option,
    add_log_options,
    add_out_option,
    add_profile_option,
    add_source_option,
    config_from_args,
    output_dir,
    source_for,
)
from rideinfra.cli.tables import print_table

__all__ = ["register", "run"]


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """A table (or `--json`) of the files and variables a fetch would change."""
    import attrs

    from rideinfra.operations import diff_output
    from rideinfra.render import get_format

    config = config_from_args(args, environ)
    fmt = get_format(args.format or config.output.format)
    source = source_for(args, config, environ)
    out = output_dir(args.out, environ, config)
    diffs = diff_output(
        config, source, out, profiles=args.profile, output_format=fmt, show_values=args.show_values
    )
    if args.json:
        print(json.dumps([attrs.asdict(d) for d in diffs], indent=2))
        return 0
    rows: list[tuple[str, ...]] = []
    for d in diffs:
        if d.state != "changed" or not d.detailed:
            detail = "" if d.detailed else "(old file not readable as variables)"
            rows.append((d.file, d.state, detail, "", ""))
            continue
        for change, names in (("added", d.added), ("removed", d.removed), ("changed", d.changed)):
            for name in names:
                old, new = d.shown.get(name, ("", ""))
                rows.append((d.file, change, name, old, new))
    headers: tuple[str, ...] = ("FILE", "CHANGE", "VARIABLE", "OLD", "NEW")
    if not args.show_values:
        headers, rows = headers[:3], [row[:3] for row in rows]
    print_table(headers, rows, environ)
    return 0


def register(sub: SubParsers[argparse.ArgumentParser]) -> None:
    """`rideinfra diff`."""
    parser = add_command(
        sub,
        "diff",
        "what a fetch would change, per file and variable (names only)",
        "Fetch and render as `fetch` would, and compare with the files in the output "
        "directory: files new, changed or unchanged, and per changed file the variables "
        "added, removed or changed. Writes nothing.",
        "  rideinfra diff --out /secrets\n"
        "  rideinfra diff --profile core --show-values   # masked: ********ab",
    )
    add_config_option(parser)
    add_out_option(parser, "output directory (as for fetch)")
    add_profile_option(parser)
    add_format_option(parser)
    add_source_option(parser)
    parser.add_argument(
        "--show-values",
        action="store_true",
        help="also show old and new values of changed variables, all but the last 2 "
        "characters masked (an explicit opt-in: do not use it in shared logs)",
    )
    add_json_option(parser)
    add_log_options(parser)
    parser.set_defaults(handler=run)
