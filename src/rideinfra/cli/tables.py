"""Human output: aligned tables on a terminal, tab-separated when piped.

Colour (a bold header) only on a terminal, and never when NO_COLOR is set
(https://no-color.org) or TERM is `dumb`.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from typing import TextIO

__all__ = ["format_table", "print_table", "use_color"]

_BOLD, _RESET = "\033[1m", "\033[0m"


def use_color(stream: TextIO, environ: Mapping[str, str]) -> bool:
    """Whether to colour output written to `stream`."""
    if environ.get("NO_COLOR") or environ.get("TERM") == "dumb":
        return False
    return stream.isatty()


def format_table(
    headers: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    aligned: bool,
    color: bool = False,
) -> str:
    """Rows under a header line: space-aligned when `aligned`, else tab-separated."""
    if not aligned:
        return "\n".join("\t".join(row) for row in [headers, *rows])
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)]
        return "  ".join(cells).rstrip()

    head = line(headers)
    if color:
        head = _BOLD + head + _RESET
    return "\n".join([head, *(line(row) for row in rows)])


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], environ: Mapping[str, str]
) -> None:
    """Print a table on stdout: aligned (and coloured, if allowed) on a terminal, else tabs."""
    tty = sys.stdout.isatty()
    print(format_table(headers, rows, aligned=tty, color=use_color(sys.stdout, environ)))
