"""`rideinfra diff`: what a fetch would change, per file and variable (names only).

Values only with `--show-values`, masked but for their last two characters.
Exit codes as diff(1)'s, `git diff --exit-code`'s and `kubectl diff`'s: 0 the
same, 1 something differs, 2 trouble (any error: usage, config, a secret that
cannot be read, a file the writer would refuse). So 1 always means "a fetch
would change something", and a script can tell it from a failure.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING

from rideinfra.cli import options
from rideinfra.cli.tables import print_table
from rideinfra.errors import RideinfraError

if TYPE_CHECKING:
    from rideinfra.operations import FileDiff

__all__ = ["COMMAND", "run"]

HEADERS = ("FILE", "CHANGE", "VARIABLE", "OLD", "NEW")


class _CouldNotCompare(RideinfraError):
    """Any error of `rideinfra diff`: exit 2, so that 1 only ever means "differs"."""

    exit_code = 2


def run(args: argparse.Namespace, environ: Mapping[str, str]) -> int:
    """A table (or `--json`) of the files and variables a fetch would change; 1 if any."""
    try:
        diffs = _diff(args, environ)
    except RideinfraError as exc:
        if exc.exit_code == _CouldNotCompare.exit_code:
            raise
        raise _CouldNotCompare(str(exc)) from exc
    _print(diffs, args, environ)
    return 1 if any(d.state != "unchanged" for d in diffs) else 0


def _diff(args: argparse.Namespace, environ: Mapping[str, str]) -> list[FileDiff]:
    from rideinfra.operations import diff_output
    from rideinfra.render import get_format

    config = options.config_from_args(args, environ)
    fmt = get_format(args.format or config.output.format)
    source = options.source_for(args, config, environ)
    out = options.output_dir(args.out, environ, config)
    return diff_output(
        config, source, out, profiles=args.profile, output_format=fmt, show_values=args.show_values
    )


def _print(diffs: list[FileDiff], args: argparse.Namespace, environ: Mapping[str, str]) -> None:
    from rideinfra._record import as_dict

    if args.json:
        print(json.dumps([as_dict(d) for d in diffs], indent=2))
        return
    rows = [row for d in diffs for row in _rows(d)]
    if args.show_values:
        print_table(HEADERS, rows, environ)
    else:
        print_table(HEADERS[:3], [row[:3] for row in rows], environ)


def _rows(diff: FileDiff) -> list[tuple[str, ...]]:
    """One row per changed variable of a file (and one for a new mode), or one for the file."""
    if diff.state != "changed" or not diff.detailed:
        detail = "" if diff.detailed else "(old file not readable as variables)"
        rows: list[tuple[str, ...]] = [(diff.file, diff.state, detail, "", "")]
    else:
        rows = _variable_rows(diff)
    if diff.mode is not None:
        old, new = diff.mode
        rows.append((diff.file, "mode", f"(file mode {old} -> {new})", old, new))
    return rows


def _variable_rows(diff: FileDiff) -> list[tuple[str, ...]]:
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
        help="also show the old and new values of added, removed and changed variables, "
        "all but the last 2 characters masked (an explicit opt-in: do not use it in "
        "shared logs)",
    )
    options.add_json(parser)


COMMAND = options.Command(
    "diff",
    "what a fetch would change, per file and variable (names only)",
    "Fetch and render as `fetch` would, and compare with the files in the output "
    "directory, read as the writer reads them (a symlink it did not make, or a FIFO, is "
    "refused, not followed or opened): files new, changed or unchanged, and per changed "
    "file the variables added, removed or changed and a new file mode. Writes nothing. "
    "Exits 1 when a fetch would change something, as diff(1) does.",
    "  rideinfra diff --out /secrets\n"
    "  rideinfra diff --profile core --show-values   # masked: ********ab\n"
    "  rideinfra diff --json --out /secrets   # exit 1: a fetch would change something",
    exit_codes={
        0: "the files are what a fetch would write",
        1: "a fetch would change something (a file new, or its variables or mode)",
        2: "could not compare: bad usage or configuration, a secret that cannot be fetched,\n"
        "transformed or rendered, or an output directory the writer would refuse",
    },
    run=run,
    add_options=add_options,
)
